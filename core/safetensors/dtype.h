#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lathe::core::safetensors {

// Element types of the safetensors format. The F8 types are recognised when reading so that such
// checkpoints give a precise error later (or can be copied byte for byte), not a parse failure.
enum class DType {
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2
};

std::size_t dtype_size_bytes(DType dtype);

// The name used in the header: "BOOL", "U8", ..., "F8_E4M3".
const char* dtype_name(DType dtype);

// Inverse of dtype_name; nullopt for any other string (names are case-sensitive, as in Python).
std::optional<DType> dtype_from_name(std::string_view name);

// The names of all dtypes, comma-separated, for error messages.
const char* supported_dtype_names();

}  // namespace lathe::core::safetensors
