#include "core/trainer/precision.h"

#include <ATen/autocast_mode.h>

#include "core/models/torch_compat.h"

namespace lathe::core::trainer {

// libtorch 2.4 replaced the per-device autocast setters with device-type ones.
#if LATHE_TORCH_AT_LEAST(2, 4)
#define LATHE_AUTOCAST_ENABLE(cuda, on) \
    at::autocast::set_autocast_enabled((cuda) ? at::kCUDA : at::kCPU, (on))
#define LATHE_AUTOCAST_DTYPE(cuda) \
    at::autocast::set_autocast_dtype((cuda) ? at::kCUDA : at::kCPU, at::kBFloat16)
#else
#define LATHE_AUTOCAST_ENABLE(cuda, on) \
    ((cuda) ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on))
#define LATHE_AUTOCAST_DTYPE(cuda)                                \
    ((cuda) ? at::autocast::set_autocast_gpu_dtype(at::kBFloat16) \
            : at::autocast::set_autocast_cpu_dtype(at::kBFloat16))
#endif

AutocastGuard::AutocastGuard(bool enabled, const torch::Device& device)
    : enabled_(enabled), cuda_(device.is_cuda()) {
    if (!enabled_)
        return;
    LATHE_AUTOCAST_DTYPE(cuda_);
    LATHE_AUTOCAST_ENABLE(cuda_, true);
    at::autocast::increment_nesting();
}

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
