#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/data/token_blocks.h"

namespace lathe::core::trainer {

// input_ids [indices.size(), block_size] int64 on `device`; labels are the same tensor (the
// causal-LM loss shifts them).
torch::Tensor make_batch(const data::TokenBlocks& blocks, const std::vector<std::int64_t>& indices,
                         const torch::Device& device);

}  // namespace lathe::core::trainer
