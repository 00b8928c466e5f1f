#include "core/safetensors/header.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>

#include "core/safetensors/shape_math.h"
#include "core/safetensors/strict_json.h"
#include "core/util/error.h"

namespace lathe::core::safetensors {

namespace {

using Json = nlohmann::json;

constexpr const char* kMetadataKey = "__metadata__";

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

// A short description of a JSON value: numbers as written, anything else by its type, so that a
// hostile header cannot blow up the message.
std::string describe(const Json& value) {
    return value.is_number() ? value.dump() : std::string(value.type_name());
}

std::string offsets_to_string(const TensorInfo& t) {
    return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
}

// Error naming the file and the tensor.
[[noreturn]] void fail(const std::string& file, const std::string& tensor,
                       const std::string& what) {
    throw Error(file + ": tensor " + quoted(tensor) + ": " + what);
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

// A JSON value as a non-negative integer; `what` names the field for messages.
std::uint64_t as_unsigned(const Json& value, const std::string& file, const std::string& tensor,
                          const std::string& what) {
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>();
    }
    if (value.is_number_integer()) {
        fail(file, tensor, what + " is negative (" + value.dump() + ")");
    }
    fail(file, tensor, what + " must be a non-negative integer, got " + describe(value));
}

TensorInfo parse_entry(const std::string& name, const Json& entry, const std::string& file) {
    if (!entry.is_object()) {
        fail(file, name, "entry must be an object, got " + std::string(entry.type_name()));
    }
    auto field = [&](const char* key) -> const Json& {
        auto it = entry.find(key);
        if (it == entry.end()) {
            fail(file, name, std::string("missing \"") + key + "\"");
        }
        return *it;
    };

    TensorInfo info;
    info.name = name;

    const Json& dtype = field("dtype");
    if (!dtype.is_string()) {
        fail(file, name, "\"dtype\" must be a string, got " + std::string(dtype.type_name()));
    }
    const auto& dtype_str = dtype.get_ref<const std::string&>();
    auto parsed_dtype = dtype_from_name(dtype_str);
    if (!parsed_dtype) {
        fail(file, name,
             "dtype " + quoted(dtype_str) +
                 " is not supported (supported: " + supported_dtype_names() + ")");
    }
    info.dtype = *parsed_dtype;

    const Json& shape = field("shape");
    if (!shape.is_array()) {
        fail(file, name, "\"shape\" must be an array, got " + std::string(shape.type_name()));
    }
    info.shape.reserve(shape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        std::uint64_t dim = as_unsigned(shape[i], file, name, "shape[" + std::to_string(i) + "]");
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            fail(file, name,
                 "shape[" + std::to_string(i) + "] = " + std::to_string(dim) + " is too large");
        }
        info.shape.push_back(static_cast<std::int64_t>(dim));
    }

    const Json& offsets = field("data_offsets");
    if (!offsets.is_array() || offsets.size() != 2) {
        fail(file, name,
             "\"data_offsets\" must be an array of two integers, got " +
                 (offsets.is_array() ? "an array of " + std::to_string(offsets.size())
                                     : describe(offsets)));
    }
    info.begin = as_unsigned(offsets[0], file, name, "data_offsets[0]");
    info.end = as_unsigned(offsets[1], file, name, "data_offsets[1]");
    if (info.begin > info.end) {
        fail(file, name, "data_offsets " + offsets_to_string(info) + " end before they begin");
    }

    if (!checked_numel(info.shape)) {
        fail(file, name, "shape " + shape_to_string(info.shape) + " overflows int64");
    }
    auto expected = checked_size_bytes(info.shape, info.dtype);
    if (!expected) {
        fail(file, name,
             "shape " + shape_to_string(info.shape) + " of " + dtype_name(info.dtype) +
                 " needs 2^64 bytes or more");
    }
    if (*expected != info.size_bytes()) {
        fail(file, name,
             "data_offsets " + offsets_to_string(info) + " hold " +
                 std::to_string(info.size_bytes()) + " bytes but shape " +
                 shape_to_string(info.shape) + " of " + dtype_name(info.dtype) + " needs " +
                 std::to_string(*expected));
    }
    return info;
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& file) {
    std::map<std::string, std::string> metadata;
    if (value.is_null()) {
        return metadata;  // Python reads `"__metadata__": null` as no metadata.
    }
    if (!value.is_object()) {
        throw Error(file + ": \"__metadata__\" must be an object of strings, got " +
                    std::string(value.type_name()));
    }
    for (const auto& [key, v] : value.items()) {
        if (!v.is_string()) {
            throw Error(file + ": \"__metadata__\" value of " + quoted(key) +
                        " must be a string, got " + std::string(v.type_name()));
        }
        metadata.emplace(key, v.get<std::string>());
    }
    return metadata;
}

// The offsets, taken in order, must tile [0, data_bytes) exactly.
void check_layout(const std::vector<TensorInfo>& tensors, std::uint64_t data_bytes,
                  const std::string& file) {
    std::uint64_t cursor = 0;
    const TensorInfo* previous = nullptr;
    for (const auto& t : tensors) {
        if (t.begin > cursor) {
            fail(file, t.name,
                 "data_offsets " + offsets_to_string(t) + " leave a hole: " +
                     (previous ? "the previous tensor " + quoted(previous->name) + " ends at "
                               : std::string("the data buffer starts at ")) +
                     std::to_string(cursor));
        }
        if (t.begin < cursor) {
            fail(file, t.name,
                 "data_offsets " + offsets_to_string(t) + " overlap tensor " +
                     quoted(previous->name) + " which ends at " + std::to_string(cursor));
        }
        cursor = t.end;
        previous = &t;
    }
    if (cursor < data_bytes) {
        throw Error(file + ": the data buffer has " + std::to_string(data_bytes) +
                    " bytes but the tensors end at " + std::to_string(cursor) +
                    (previous ? " (last tensor " + quoted(previous->name) + ")" : std::string()) +
                    ": trailing bytes");
    }
    if (cursor > data_bytes) {
        fail(file, previous->name,
             "data_offsets " + offsets_to_string(*previous) + " go beyond the data buffer of " +
                 std::to_string(data_bytes) + " bytes: the file is truncated");
    }
}

}  // namespace

std::int64_t TensorInfo::numel() const {
    auto n = checked_numel(shape);
    if (!n) {
        throw Error("tensor " + quoted(name) + ": shape " + shape_to_string(shape) +
                    " is negative or overflows int64");
    }
    return *n;
}

const TensorInfo* Header::find(const std::string& name) const {
    for (const auto& t : tensors) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

Header parse(const std::uint8_t* bytes, std::size_t size, const std::string& file_name) {
    const std::string& file = file_name;
    if (size < 8 || bytes == nullptr) {
        throw Error(file + ": file is " + std::to_string(size) +
                    " bytes, shorter than the 8-byte header length of a safetensors file");
    }
    const std::uint64_t header_bytes = read_u64_le(bytes);
    if (header_bytes > kMaxHeaderBytes) {
        throw Error(file + ": header length " + std::to_string(header_bytes) +
                    " is above the limit of " + std::to_string(kMaxHeaderBytes) + " bytes");
    }
    if (header_bytes > size - 8) {
        throw Error(file + ": header length " + std::to_string(header_bytes) +
                    " goes beyond the end of the file (" + std::to_string(size) + " bytes)");
    }
    const char* json_begin = reinterpret_cast<const char*>(bytes + 8);
    const char* json_end = json_begin + header_bytes;
    if (header_bytes == 0 || json_begin[0] != '{') {
        throw Error(file + ": header does not start with '{'");
    }
    Json root = parse_json_strict(json_begin, json_end, file + ": header");
    if (!root.is_object()) {
        throw Error(file + ": header is not a JSON object");
    }

    Header header;
    header.data_start = 8 + header_bytes;
    header.tensors.reserve(root.size());
    for (const auto& [key, value] : root.items()) {
        if (key == kMetadataKey) {
            header.metadata = parse_metadata(value, file);
        } else {
            header.tensors.push_back(parse_entry(key, value, file));
        }
    }
    std::sort(header.tensors.begin(), header.tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) {
                  return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
              });
    check_layout(header.tensors, size - header.data_start, file);
    return header;
}

}  // namespace lathe::core::safetensors
