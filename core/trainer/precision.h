#pragma once

#include <torch/torch.h>

namespace lathe::core::trainer {

// Mixed precision for the forward pass, as torch.autocast does in Transformers (bf16): matmuls
// run in bfloat16, reductions and norms stay in fp32, weights and optimizer state stay fp32.
// RAII: enabled for the guard's lifetime, then the autocast cache is cleared.
class AutocastGuard {
  public:
    AutocastGuard(bool enabled, const torch::Device& device);
    ~AutocastGuard();
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

  private:
    bool enabled_;
    bool cuda_;
};

// tf32 matmuls on Ampere and newer (training_args.tf32); no effect without CUDA.
void set_tf32(bool enabled);

}  // namespace lathe::core::trainer
