#pragma once

#include <torch/torch.h>

#include <optional>

#include "core/models/autocast_state.h"

namespace lathe::core::trainer {

// The autocast dtype Transformers uses for these arguments: bfloat16 for bf16, float16 for
// fp16, none otherwise.
std::optional<torch::ScalarType> autocast_dtype(bool bf16, bool fp16);

// Throws Error when the precision arguments cannot run on `device`: fp16 needs CUDA (libtorch has
// no float16 autocast on the CPU before 2.x, and loss scaling exists for GPUs).
void check_precision_device(bool fp16, const torch::Device& device);

// Mixed precision for the forward pass, as torch.autocast does in Transformers: matmuls run in
// the low-precision dtype, reductions and norms stay in fp32, weights and optimizer state stay
// fp32. RAII: enabled for the guard's lifetime, then the state before it is restored and the
// autocast cache cleared.
class AutocastGuard {
  public:
    AutocastGuard(std::optional<torch::ScalarType> dtype, const torch::Device& device);
    // bf16 autocast when `bf16` is true.
    AutocastGuard(bool bf16, const torch::Device& device);

  private:
    std::optional<models::AutocastRegion> region_;  // none without a dtype
};

// tf32 matmuls on Ampere and newer (training_args.tf32); no effect without CUDA.
void set_tf32(bool enabled);

}  // namespace lathe::core::trainer
