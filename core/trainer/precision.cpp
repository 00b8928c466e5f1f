#include "core/trainer/precision.h"

#include <ATen/autocast_mode.h>

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

AutocastGuard::AutocastGuard(std::optional<torch::ScalarType> dtype, const torch::Device& device)
    : enabled_(dtype.has_value()) {
    if (!enabled_)
        return;
    auto inside = models::AutocastState::current();
    if (device.is_cuda()) {
        inside.cuda_enabled = true;
        inside.cuda_dtype = *dtype;
    } else {
        inside.cpu_enabled = true;
        inside.cpu_dtype = *dtype;
    }
    outside_ = inside.apply();
    at::autocast::increment_nesting();
}

AutocastGuard::AutocastGuard(bool bf16, const torch::Device& device)
    : AutocastGuard(autocast_dtype(bf16, false), device) {}

AutocastGuard::~AutocastGuard() {
    if (!enabled_)
        return;
    outside_.apply();
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
}

void set_tf32(bool enabled) {
    at::globalContext().setAllowTF32CuBLAS(enabled);
    at::globalContext().setAllowTF32CuDNN(enabled);
}

}  // namespace lathe::core::trainer
