#include "core/safetensors/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "core/safetensors/checkpoint.h"
#include "core/safetensors/header.h"
#include "core/safetensors/shape_math.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::safetensors {

namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

// Position in Rust's `enum Dtype` declaration, which the Python writer sorts by (descending).
int rust_dtype_rank(DType dtype) {
    static constexpr DType kRustOrder[] = {DType::Bool,    DType::U8,  DType::I8,  DType::F8_E5M2,
                                           DType::F8_E4M3, DType::I16, DType::U16, DType::F16,
                                           DType::BF16,    DType::I32, DType::U32, DType::F32,
                                           DType::F64,     DType::I64, DType::U64};
    return static_cast<int>(std::find(std::begin(kRustOrder), std::end(kRustOrder), dtype) -
                            std::begin(kRustOrder));
}

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as a Rust String
// and a JSON reader require.
bool is_valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        int extra = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++p;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= extra) {
            return false;
        }
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return false;
        }
        p += extra + 1;
    }
    return true;
}

// A JSON string literal escaped exactly as serde_json does (the Python writer's serializer):
// quote, backslash and control characters only; '/' and non-ASCII stay as they are.
void append_json_string(std::string& out, const std::string& s) {
    static const char* kHex = "0123456789abcdef";
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
}

void validate(const std::vector<TensorRef>& tensors,
              const std::map<std::string, std::string>& metadata, const std::string& where) {
    std::set<std::string> names;
    for (const auto& t : tensors) {
        auto fail = [&](const std::string& what) {
            throw Error(where + ": tensor " + quoted(t.name) + ": " + what);
        };
        if (!is_valid_utf8(t.name)) {
            fail("name is not valid UTF-8");
        }
        if (t.name == "__metadata__") {
            fail("the name is reserved for the metadata");
        }
        if (!names.insert(t.name).second) {
            fail("duplicate name");
        }
        auto expected = checked_size_bytes(t.shape, t.dtype);
        if (!expected) {
            fail("shape " + shape_to_string(t.shape) + " has a negative dim or overflows int64");
        }
        if (*expected != t.size_bytes) {
            fail("size_bytes " + std::to_string(t.size_bytes) + " does not match shape " +
                 shape_to_string(t.shape) + " of " + dtype_name(t.dtype) + " (" +
                 std::to_string(*expected) + " bytes)");
        }
        if (t.size_bytes > 0 && t.data == nullptr) {
            fail("data is null");
        }
    }
    for (const auto& [key, value] : metadata) {
        if (!is_valid_utf8(key) || !is_valid_utf8(value)) {
            throw Error(where + ": metadata " + quoted(key) + " is not valid UTF-8");
        }
    }
}

std::string build_header(const std::vector<const TensorRef*>& ordered,
                         const std::map<std::string, std::string>& metadata) {
    std::string json = "{";
    bool first = true;
    if (!metadata.empty()) {
        json += "\"__metadata__\":{";
        for (const auto& [key, value] : metadata) {
            if (!first) {
                json += ',';
            }
            first = false;
            append_json_string(json, key);
            json += ':';
            append_json_string(json, value);
        }
        json += '}';
        first = false;
    }
    std::uint64_t offset = 0;
    for (const TensorRef* t : ordered) {
        if (!first) {
            json += ',';
        }
        first = false;
        append_json_string(json, t->name);
        json += ":{\"dtype\":\"";
        json += dtype_name(t->dtype);
        json += "\",\"shape\":[";
        for (std::size_t i = 0; i < t->shape.size(); ++i) {
            if (i > 0) {
                json += ',';
            }
            json += std::to_string(t->shape[i]);
        }
        json += "],\"data_offsets\":[";
        json += std::to_string(offset);
        json += ',';
        offset += t->size_bytes;
        json += std::to_string(offset);
        json += "]}";
    }
    json += '}';
    // The 8-byte length prefix plus the header stay a multiple of 8, so that tensor data is
    // aligned for any dtype when the file is mapped.
    json.append((8 - json.size() % 8) % 8, ' ');
    return json;
}

// Streams a file to path + ".tmp" and renames it over `path` on commit(); an uncommitted writer
// removes its temporary file.
class AtomicStreamWriter {
  public:
    explicit AtomicStreamWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            throw Error(tmp_ + ": cannot create: " + std::strerror(errno));
        }
    }
    AtomicStreamWriter(const AtomicStreamWriter&) = delete;
    AtomicStreamWriter& operator=(const AtomicStreamWriter&) = delete;
    ~AtomicStreamWriter() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!committed_) {
            ::unlink(tmp_.c_str());
        }
    }

    void write(const void* data, std::uint64_t size) {
        const auto* p = static_cast<const char*>(data);
        while (size > 0) {
            const std::size_t chunk =
                static_cast<std::size_t>(std::min<std::uint64_t>(size, 1u << 30));
            const ssize_t n = ::write(fd_, p, chunk);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw Error(tmp_ + ": write failed: " + std::strerror(errno));
            }
            p += n;
            size -= static_cast<std::uint64_t>(n);
        }
    }

    void commit() {
        if (::fsync(fd_) != 0) {
            throw Error(tmp_ + ": cannot sync: " + std::strerror(errno));
        }
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) {
            throw Error(tmp_ + ": cannot close: " + std::strerror(errno));
        }
        if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
            throw Error(path_ + ": cannot rename from " + tmp_ + ": " + std::strerror(errno));
        }
        committed_ = true;
        const auto parent = fs::path(path_).parent_path();
        util::sync_directory(parent.empty() ? "." : parent.string());
    }

  private:
    std::string path_;
    std::string tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

void write_validated(const std::string& path, const std::vector<TensorRef>& tensors,
                     const std::map<std::string, std::string>& metadata) {
    std::vector<const TensorRef*> ordered;
    ordered.reserve(tensors.size());
    for (const auto& t : tensors) {
        ordered.push_back(&t);
    }
    std::sort(ordered.begin(), ordered.end(), [](const TensorRef* a, const TensorRef* b) {
        const int ra = rust_dtype_rank(a->dtype);
        const int rb = rust_dtype_rank(b->dtype);
        return ra != rb ? ra > rb : a->name < b->name;
    });
    const std::string header = build_header(ordered, metadata);
    if (header.size() > kMaxHeaderBytes) {
        throw Error(path + ": header would be " + std::to_string(header.size()) +
                    " bytes, above the limit of " + std::to_string(kMaxHeaderBytes));
    }
    std::uint8_t length[8];
    for (int i = 0; i < 8; ++i) {
        length[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(header.size()) >> (8 * i));
    }
    AtomicStreamWriter out(path);
    out.write(length, sizeof(length));
    out.write(header.data(), header.size());
    for (const TensorRef* t : ordered) {
        out.write(t->data, t->size_bytes);
    }
    out.commit();
}

bool is_shard_file_name(const std::string& name) {
    // model-NNNNN-of-NNNNN.safetensors
    static const std::string kPattern = "model-#####-of-#####.safetensors";
    if (name.size() != kPattern.size()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const bool digit = name[i] >= '0' && name[i] <= '9';
        if (kPattern[i] == '#' ? !digit : name[i] != kPattern[i]) {
            return false;
        }
    }
    return true;
}

std::string shard_file_name(std::size_t index, std::size_t count) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "model-%05zu-of-%05zu.safetensors", index, count);
    return buffer;
}

}  // namespace

void write_file(const std::string& path, const std::vector<TensorRef>& tensors,
                const std::map<std::string, std::string>& metadata) {
    validate(tensors, metadata, path);
    write_validated(path, tensors, metadata);
}

std::vector<std::string> write_sharded(const std::string& dir,
                                       const std::vector<TensorRef>& tensors,
                                       std::uint64_t max_shard_bytes,
                                       const std::map<std::string, std::string>& metadata) {
    validate(tensors, metadata, dir);

    // huggingface_hub.split_state_dict_into_shards_factory, step for step.
    std::vector<std::vector<std::size_t>> shards;
    std::vector<std::size_t> current;
    std::uint64_t current_bytes = 0;
    std::uint64_t total_bytes = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const std::uint64_t size = tensors[i].size_bytes;
        if (__builtin_add_overflow(total_bytes, size, &total_bytes)) {
            throw Error(dir + ": total size of the tensors overflows 64 bits");
        }
        if (size > max_shard_bytes) {
            shards.push_back({i});
            continue;
        }
        if (size > max_shard_bytes - current_bytes) {  // current_bytes <= max_shard_bytes
            shards.push_back(std::move(current));
            current.clear();
            current_bytes = 0;
        }
        current.push_back(i);
        current_bytes += size;
    }
    if (!current.empty()) {
        shards.push_back(std::move(current));
    }

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw Error(dir + ": cannot create folder: " + ec.message());
    }

    std::vector<std::string> written;
    const bool sharded = shards.size() > 1;
    if (!sharded) {
        write_validated((fs::path(dir) / kSingleFileName).string(), tensors, metadata);
        written.push_back(kSingleFileName);
    } else {
        nlohmann::json index;
        index["metadata"]["total_size"] = total_bytes;
        index["weight_map"] = nlohmann::json::object();
        for (std::size_t s = 0; s < shards.size(); ++s) {
            const std::string name = shard_file_name(s + 1, shards.size());
            std::vector<TensorRef> shard;
            shard.reserve(shards[s].size());
            for (std::size_t i : shards[s]) {
                shard.push_back(tensors[i]);
                index["weight_map"][tensors[i].name] = name;
            }
            write_validated((fs::path(dir) / name).string(), shard, metadata);
            written.push_back(name);
        }
        // Python's json.dumps(index, indent=2, sort_keys=True) + "\n"; ensure_ascii as Python's.
        util::write_file_atomic((fs::path(dir) / kIndexFileName).string(),
                                index.dump(2, ' ', /*ensure_ascii=*/true) + "\n");
        written.push_back(kIndexFileName);
    }

    // Only now that the new files are complete: a reader prefers model.safetensors over the
    // index, so it sees either the old or the new checkpoint throughout.
    const std::set<std::string> keep(written.begin(), written.end());
    std::vector<fs::path> stale;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const bool ours =
            name == kSingleFileName || name == kIndexFileName || is_shard_file_name(name);
        std::error_code type_ec;
        if (ours && keep.count(name) == 0 && it->is_regular_file(type_ec)) {
            stale.push_back(it->path());
        }
    }
    if (ec) {
        throw Error(dir + ": cannot list folder: " + ec.message());
    }
    for (const auto& path : stale) {
        if (!fs::remove(path, ec) && ec) {
            throw Error(path.string() + ": cannot remove stale file: " + ec.message());
        }
    }
    util::sync_directory(dir);
    return written;
}

}  // namespace lathe::core::safetensors
