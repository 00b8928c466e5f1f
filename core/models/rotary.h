#pragma once

#include <torch/torch.h>

#include "core/models/model_config.h"

namespace lathe::core::models {

// Transformers' rotary inverse frequencies for this config, including the llama3 and linear
// scalings. fp32 [head_dim / 2].
torch::Tensor rope_inverse_frequencies(const ModelConfig& config);

// cos and sin [t, head_dim] for positions 0..t-1, fp32, as LlamaRotaryEmbedding computes them.
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq, std::int64_t t);

// x * cos + rotate_half(x) * sin, for x [b, h, t, d].
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin);

}  // namespace lathe::core::models
