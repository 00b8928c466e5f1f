#pragma once

#include <torch/torch.h>

#include <string>

namespace lathe::core::models {

// Transformers' ACT2FN for the names config.json uses (validated by ModelConfig).
torch::Tensor activation(const std::string& name, const torch::Tensor& x);

}  // namespace lathe::core::models
