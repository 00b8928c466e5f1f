#include "core/trainer/rounding.h"

#include <cstdio>
#include <cstdlib>

namespace lathe::core::trainer {

double round_to(double value, int digits) {
    if (!std::isfinite(value))
        return value;
    // printf rounds the exact binary value correctly (glibc), as CPython's round() does.
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.*f", digits, value);
    return std::strtod(buffer, nullptr);
}

}  // namespace lathe::core::trainer
