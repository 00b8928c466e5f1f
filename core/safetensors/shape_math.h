#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/safetensors/dtype.h"

namespace lathe::core::safetensors {

// Number of elements of `shape`, or nullopt when a dim is negative or the product of the non-zero
// dims exceeds INT64_MAX. The product is checked even when some dim is zero, so that any code
// multiplying a subset of the dims cannot overflow either.
std::optional<std::int64_t> checked_numel(const std::vector<std::int64_t>& shape);

// numel * dtype size, or nullopt on a bad shape or overflow.
std::optional<std::uint64_t> checked_size_bytes(const std::vector<std::int64_t>& shape,
                                                DType dtype);

// "[2, 3]", "[]" for messages.
std::string shape_to_string(const std::vector<std::int64_t>& shape);

}  // namespace lathe::core::safetensors
