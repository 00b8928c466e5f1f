#include "core/trainer/precision.h"

#include <ATen/autocast_mode.h>

#include "core/models/torch_compat.h"

namespace lathe::core::trainer {

// libtorch 2.4 replaced the per-device autocast setters with device-type ones.
#if LATHE_TORCH_AT_LEAST(2, 4)
#define LATHE_AUTOCAST_ENABLE(cuda, on) \
    at::autocast::set_autocast_enabled((cuda) ? at::kCUDA : at::kCPU, (on))
#define LATHE_AUTOCAST_DTYPE(cuda, dtype) \
    at::autocast::set_autocast_dtype((cuda) ? at::kCUDA : at::kCPU, (dtype))
#else
#define LATHE_AUTOCAST_ENABLE(cuda, on) \
    ((cuda) ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on))
#define LATHE_AUTOCAST_DTYPE(cuda, dtype)                 \
    ((cuda) ? at::autocast::set_autocast_gpu_dtype(dtype) \
            : at::autocast::set_autocast_cpu_dtype(dtype))
#endif

std::optional<torch::ScalarType> autocast_dtype(bool bf16, bool fp16) {
    if (bf16)
        return torch::kBFloat16;
    if (fp16)
        return torch::kHalf;
    return std::nullopt;
}

AutocastGuard::AutocastGuard(std::optional<torch::ScalarType> dtype, const torch::Device& device)
    : enabled_(dtype.has_value()), cuda_(device.is_cuda()) {
    if (!enabled_)
        return;
    LATHE_AUTOCAST_DTYPE(cuda_, *dtype);
    LATHE_AUTOCAST_ENABLE(cuda_, true);
    at::autocast::increment_nesting();
}

AutocastGuard::AutocastGuard(bool bf16, const torch::Device& device)
    : AutocastGuard(autocast_dtype(bf16, false), device) {}

AutocastGuard::~AutocastGuard() {
    if (!enabled_)
        return;
    LATHE_AUTOCAST_ENABLE(cuda_, false);
    if (at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
}

void set_tf32(bool enabled) {
    at::globalContext().setAllowTF32CuBLAS(enabled);
    at::globalContext().setAllowTF32CuDNN(enabled);
}

}  // namespace lathe::core::trainer
