#pragma once

#include <torch/torch.h>

#include "core/models/causal_lm.h"
#include "core/models/layers.h"

namespace lathe::core::models {

class RmsNormImpl : public torch::nn::Module {
  public:
    RmsNormImpl(std::int64_t size, double eps);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;

  private:
    double eps_;
};
TORCH_MODULE(RmsNorm);

class LlamaDecoderLayerImpl : public torch::nn::Module {
  public:
    explicit LlamaDecoderLayerImpl(const ModelConfig& config);
    torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& cos,
                          const torch::Tensor& sin);

  private:
    const ModelConfig& config_;
    std::shared_ptr<torch::nn::Module> self_attn_, mlp_;
    Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
    Linear gate_proj_{nullptr}, up_proj_{nullptr}, down_proj_{nullptr};
    RmsNorm input_layernorm_{nullptr}, post_attention_layernorm_{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// LlamaForCausalLM: RMSNorm, RoPE (default, linear, llama3), grouped-query attention, SwiGLU.
class LlamaForCausalLM : public CausalLanguageModel {
  public:
    explicit LlamaForCausalLM(const ModelConfig& config);
    torch::Tensor forward(const torch::Tensor& input_ids) override;
    std::vector<std::string> tied_parameter_names() const override;
    void init_weights() override;

  private:
    std::shared_ptr<torch::nn::Module> model_;
    Embedding embed_tokens_{nullptr};
    torch::nn::ModuleList layers_{nullptr};
    RmsNorm norm_{nullptr};
    Linear lm_head_{nullptr};  // only when tie_word_embeddings is false
    torch::Tensor inv_freq_;   // not a buffer: Transformers does not save it
};

}  // namespace lathe::core::models
