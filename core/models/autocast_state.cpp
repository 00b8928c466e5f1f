#include "core/models/autocast_state.h"

#include <ATen/autocast_mode.h>

#include "core/models/torch_compat.h"

namespace lathe::core::models {

// libtorch 2.4 replaced the per-device autocast getters and setters with device-type ones.
AutocastState AutocastState::current() {
    AutocastState s;
#if LATHE_TORCH_AT_LEAST(2, 4)
    s.cpu_enabled = at::autocast::is_autocast_enabled(at::kCPU);
    s.cpu_dtype = at::autocast::get_autocast_dtype(at::kCPU);
    s.cuda_enabled = at::autocast::is_autocast_enabled(at::kCUDA);
    s.cuda_dtype = at::autocast::get_autocast_dtype(at::kCUDA);
#else
    s.cpu_enabled = at::autocast::is_cpu_enabled();
    s.cpu_dtype = at::autocast::get_autocast_cpu_dtype();
    s.cuda_enabled = at::autocast::is_enabled();
    s.cuda_dtype = at::autocast::get_autocast_gpu_dtype();
#endif
    return s;
}

AutocastState AutocastState::apply() const {
    const AutocastState previous = current();
#if LATHE_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_dtype(at::kCPU, cpu_dtype);
    at::autocast::set_autocast_enabled(at::kCPU, cpu_enabled);
    at::autocast::set_autocast_dtype(at::kCUDA, cuda_dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, cuda_enabled);
#else
    at::autocast::set_autocast_cpu_dtype(cpu_dtype);
    at::autocast::set_cpu_enabled(cpu_enabled);
    at::autocast::set_autocast_gpu_dtype(cuda_dtype);
    at::autocast::set_enabled(cuda_enabled);
#endif
    return previous;
}

AutocastRegion::AutocastRegion(const AutocastState& inside) : counted_(inside.any_enabled()) {
    outside_ = inside.apply();
    if (counted_)
        at::autocast::increment_nesting();
}

AutocastRegion::~AutocastRegion() {
    if (counted_ && at::autocast::decrement_nesting() == 0)
        at::autocast::clear_cache();
    outside_.apply();
}

}  // namespace lathe::core::models
