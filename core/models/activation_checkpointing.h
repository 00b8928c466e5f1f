#pragma once

#include <torch/torch.h>

#include <functional>

namespace lathe::core::models {

// Runs `block(input)` without keeping its activations; backward runs it again (with the CPU
// RNG state it first saw and, for an input on a GPU, that GPU's, so dropout draws the same
// masks; under the autocast the forward ran under, so it computes in the same dtypes) and
// back-propagates through the recomputation. Transformers' gradient_checkpointing with
// torch.utils.checkpoint (reentrant). `block` is copied into the autograd graph: capture what it
// needs by value.
torch::Tensor checkpointed(const std::function<torch::Tensor(const torch::Tensor&)>& block,
                           const torch::Tensor& input);

}  // namespace lathe::core::models
