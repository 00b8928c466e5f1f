#pragma once

#include <torch/torch.h>

namespace lathe::core::models {

// Which autocast modes are on, per device type, with their dtypes: what a recomputation in
// backward must restore to run the block as its forward ran (torch.utils.checkpoint does the
// same), since backward runs after the trainer's autocast guard has closed.
struct AutocastState {
    bool cpu_enabled = false;
    torch::ScalarType cpu_dtype = torch::kBFloat16;
    bool cuda_enabled = false;
    torch::ScalarType cuda_dtype = torch::kHalf;

    static AutocastState current();
    // Makes this state current (the previous one is returned, for restoring).
    AutocastState apply() const;
};

}  // namespace lathe::core::models
