#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/safetensors/dtype.h"

namespace lathe::core::safetensors {

// The header allows at most this many bytes of JSON (the limit of the Python reader).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    // Byte range relative to the data buffer (which starts at Header::data_start).
    std::uint64_t begin = 0, end = 0;

    // Product of the shape; 1 for a 0-rank tensor. parse() guarantees it does not overflow.
    std::int64_t numel() const;
    std::uint64_t size_bytes() const { return end - begin; }
};

struct Header {
    // In data order (ascending offsets); empty tensors sharing an offset are ordered by name.
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;  // "__metadata__"; empty when absent
    std::uint64_t data_start = 0;                 // 8 + header length

    // nullptr when there is no such tensor. Linear: use Checkpoint for repeated lookups.
    const TensorInfo* find(const std::string& name) const;
};

// Parses and validates the header of a whole safetensors file held in memory: lengths, JSON,
// field types, dtypes, shapes (with overflow checks), and that the data offsets tile the data
// buffer exactly. Throws Error naming `file_name` (and the tensor, where there is one).
Header parse(const std::uint8_t* bytes, std::size_t size, const std::string& file_name);

}  // namespace lathe::core::safetensors
