#include "core/trainer/precision.h"

#include "core/util/error.h"

namespace lathe::core::trainer {

std::optional<torch::ScalarType> autocast_dtype(bool bf16, bool fp16) {
    if (bf16)
        return torch::kBFloat16;
    if (fp16)
        return torch::kHalf;
    return std::nullopt;
}

void check_precision_device(bool fp16, const torch::Device& device) {
    if (fp16 && !device.is_cuda())
        throw Error("training_args.fp16 needs a CUDA device; on CPU use bf16 or neither");
}

namespace {

// The current autocast state with `dtype` autocast on for `device`'s type.
models::AutocastState enabled_for(torch::ScalarType dtype, const torch::Device& device) {
    auto state = models::AutocastState::current();
    if (device.is_cuda()) {
        state.cuda_enabled = true;
        state.cuda_dtype = dtype;
    } else {
        state.cpu_enabled = true;
        state.cpu_dtype = dtype;
    }
    return state;
}

}  // namespace

AutocastGuard::AutocastGuard(std::optional<torch::ScalarType> dtype, const torch::Device& device) {
    if (dtype)
        region_.emplace(enabled_for(*dtype, device));
}

AutocastGuard::AutocastGuard(bool bf16, const torch::Device& device)
    : AutocastGuard(autocast_dtype(bf16, false), device) {}

void set_tf32(bool enabled) {
    at::globalContext().setAllowTF32CuBLAS(enabled);
    at::globalContext().setAllowTF32CuDNN(enabled);
}

}  // namespace lathe::core::trainer
