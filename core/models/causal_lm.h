#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "core/models/model_config.h"

namespace lathe::core::models {

// A decoder-only language model whose parameter names are exactly Transformers' names, so that
// `named_parameters()` maps one to one onto a Hugging Face state dict.
class CausalLanguageModel : public torch::nn::Module {
  public:
    explicit CausalLanguageModel(ModelConfig config) : config_(std::move(config)) {}
    ~CausalLanguageModel() override = default;

    // input_ids [batch, seq] int64 -> logits [batch, seq, vocab].
    virtual torch::Tensor forward(const torch::Tensor& input_ids) = 0;

    const ModelConfig& config() const { return config_; }
    ModelConfig& mutable_config() { return config_; }

    // Names Transformers leaves out of a saved state dict because they alias another tensor
    // (the tied lm_head).
    virtual std::vector<std::string> tied_parameter_names() const { return {}; }

    // Transformers' _init_weights for this architecture, drawn from torch's global generator.
    virtual void init_weights() = 0;

    // NEFTune (Transformers' neftune_noise_alpha): in training mode, uniform noise of magnitude
    // alpha / sqrt(seq_len * hidden) is added to the token embeddings.
    void set_neftune_noise_alpha(std::optional<double> alpha) { neftune_noise_alpha_ = alpha; }

    // Transformers' gradient_checkpointing: in training, each block's activations are recomputed
    // in backward instead of kept (activation_checkpointing.h).
    void set_gradient_checkpointing(bool enabled) { gradient_checkpointing_ = enabled; }
    bool gradient_checkpointing() const { return gradient_checkpointing_; }

  protected:
    torch::Tensor add_neftune_noise(const torch::Tensor& embeddings) const;

    ModelConfig config_;
    std::optional<double> neftune_noise_alpha_;
    bool gradient_checkpointing_ = false;
};

// Transformers' ForCausalLMLoss: logits in fp32, labels shifted inside (position t predicts
// label t+1), ignore index -100. Mean over non-ignored tokens, or the sum divided by
// `num_items_in_batch` when given (token-weighted means across gradient accumulation).
// label_smoothing: Transformers' LabelSmoother, (1 - e) * nll + e * mean over the vocabulary of
// -log p, which is torch's cross entropy with label_smoothing = e.
torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                             std::optional<std::int64_t> num_items_in_batch = std::nullopt,
                             std::int64_t ignore_index = -100, double label_smoothing = 0.0);

}  // namespace lathe::core::models
