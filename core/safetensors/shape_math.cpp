#include "core/safetensors/shape_math.h"

namespace lathe::core::safetensors {

std::optional<std::int64_t> checked_numel(const std::vector<std::int64_t>& shape) {
    std::int64_t nonzero_product = 1;
    bool has_zero = false;
    for (std::int64_t dim : shape) {
        if (dim < 0) {
            return std::nullopt;
        }
        if (dim == 0) {
            has_zero = true;
            continue;
        }
        if (__builtin_mul_overflow(nonzero_product, dim, &nonzero_product)) {
            return std::nullopt;
        }
    }
    return has_zero ? 0 : nonzero_product;
}

std::optional<std::uint64_t> checked_size_bytes(const std::vector<std::int64_t>& shape,
                                                DType dtype) {
    auto numel = checked_numel(shape);
    if (!numel) {
        return std::nullopt;
    }
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(*numel),
                               static_cast<std::uint64_t>(dtype_size_bytes(dtype)), &bytes)) {
        return std::nullopt;
    }
    return bytes;
}

std::string shape_to_string(const std::vector<std::int64_t>& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        out += std::to_string(shape[i]);
    }
    return out + "]";
}

}  // namespace lathe::core::safetensors
