#pragma once

#include <torch/torch.h>

#include "core/models/causal_lm.h"
#include "core/models/layers.h"

namespace lathe::core::models {

// Transformers' Conv1D: a linear layer whose weight is stored [in, out].
class Conv1DImpl : public torch::nn::Module {
  public:
    Conv1DImpl(std::int64_t in_features, std::int64_t out_features);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
};
TORCH_MODULE(Conv1D);

class Gpt2BlockImpl : public torch::nn::Module {
  public:
    Gpt2BlockImpl(const ModelConfig& config, std::int64_t layer_index);
    torch::Tensor forward(const torch::Tensor& hidden);

    torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
    // attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj
    std::shared_ptr<torch::nn::Module> attn, mlp;
    Conv1D c_attn{nullptr}, attn_c_proj{nullptr}, c_fc{nullptr}, mlp_c_proj{nullptr};

  private:
    const ModelConfig& config_;
    std::int64_t layer_index_;
};
TORCH_MODULE(Gpt2Block);

// GPT2LMHeadModel: learned positions, pre-LN blocks, lm_head tied to transformer.wte.
class Gpt2LMHeadModel : public CausalLanguageModel {
  public:
    explicit Gpt2LMHeadModel(const ModelConfig& config);
    torch::Tensor forward(const torch::Tensor& input_ids) override;
    std::vector<std::string> tied_parameter_names() const override;
    void init_weights() override;

  private:
    std::shared_ptr<torch::nn::Module> transformer_;
    Embedding wte_{nullptr}, wpe_{nullptr};
    torch::nn::Dropout drop_{nullptr};
    torch::nn::ModuleList h_{nullptr};
    torch::nn::LayerNorm ln_f_{nullptr};
    Linear lm_head_{nullptr};  // only when tie_word_embeddings is false
};

}  // namespace lathe::core::models
