#pragma once

// libtorch differs between Debian's 1.13 (CPU) and the 2.x CUDA builds users bring. Every
// 2.x-only call sits behind these macros with a fallback that gives the same numbers.
#include <torch/version.h>

#define LATHE_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) ||      \
     (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::scaled_dot_product_attention with an explicit `scale` argument arrived in 2.1.
#define LATHE_TORCH_HAS_SDPA_SCALE LATHE_TORCH_AT_LEAST(2, 1)
