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
    bool any_enabled() const { return cpu_enabled || cuda_enabled; }
};

// An autocast region, as torch.autocast's context manager opens one: `inside` is current for the
// region's lifetime, then the state before it is back. Autocast caches low-precision copies of
// the weights while a region is open and drops them when the outermost one closes; every region
// must be counted, or copies made in it outlive the optimizer step and serve the next forward
// stale weights. A state with nothing enabled opens no region.
class AutocastRegion {
  public:
    explicit AutocastRegion(const AutocastState& inside);
    ~AutocastRegion();
    AutocastRegion(const AutocastRegion&) = delete;
    AutocastRegion& operator=(const AutocastRegion&) = delete;

  private:
    bool counted_;
    AutocastState outside_;
};

}  // namespace lathe::core::models
