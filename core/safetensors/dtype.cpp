#include "core/safetensors/dtype.h"

#include <array>

namespace lathe::core::safetensors {

namespace {

struct DTypeEntry {
    DType dtype;
    const char* name;
    std::size_t size_bytes;
};

constexpr std::array<DTypeEntry, 15> kDTypes = {{
    {DType::Bool, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
    {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeEntry& entry(DType dtype) {
    for (const auto& e : kDTypes) {
        if (e.dtype == dtype) {
            return e;
        }
    }
    return kDTypes[0];  // Unreachable for valid enum values.
}

}  // namespace

std::size_t dtype_size_bytes(DType dtype) {
    return entry(dtype).size_bytes;
}

const char* dtype_name(DType dtype) {
    return entry(dtype).name;
}

std::optional<DType> dtype_from_name(std::string_view name) {
    for (const auto& e : kDTypes) {
        if (name == e.name) {
            return e.dtype;
        }
    }
    return std::nullopt;
}

const char* supported_dtype_names() {
    return "BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8_E4M3, F8_E5M2";
}

}  // namespace lathe::core::safetensors
