#include "core/data/clm_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/util/error.h"
#include "core/util/file_io.h"
#include "core/util/mapped_file.h"

namespace lathe::core::data {
namespace {

constexpr char kMagic[8] = {'L', 'A', 'T', 'H', 'E', 'C', 'L', 'M'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kByteOrderMark = 0x01020304;

struct Header {
    char magic[8];
    std::uint32_t version;
    std::uint32_t byte_order;
    std::int64_t block_size;
    std::int64_t train_blocks;
    std::int64_t validation_blocks;
    std::int64_t train_documents;
    std::int64_t validation_documents;
    std::uint64_t payload_checksum;
    char key[64];
};
static_assert(sizeof(Header) == 128, "the cache header is 128 bytes on every platform");
static_assert(sizeof(Header) % alignof(std::int32_t) == 0, "tokens after the header are aligned");

// Detects torn or bit-flipped payloads; not cryptographic (the key in the header and the file name
// already tie the file to its inputs). Word-at-a-time multiply-xor runs at memory speed.
std::uint64_t checksum(std::uint64_t h, const std::int32_t* data, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        h ^= static_cast<std::uint32_t>(data[i]);
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}
constexpr std::uint64_t kChecksumSeed = 0xcbf29ce484222325ULL;

void write_all(int fd, const void* data, std::size_t size, const std::string& path) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw Error(path + ": write failed: " + std::strerror(errno));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

}  // namespace

std::optional<ClmCacheContent> load_clm_cache(const std::string& path, const std::string& key,
                                              std::int64_t block_size, std::string* problem) {
    auto fail = [&](const std::string& why) -> std::optional<ClmCacheContent> {
        if (problem)
            *problem = path + ": " + why;
        return std::nullopt;
    };
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return fail("no cache file");
    std::shared_ptr<util::MappedFile> file;
    try {
        file = util::MappedFile::open(path);
    } catch (const Error& e) {
        return fail(e.what());
    }
    if (file->size_bytes() < sizeof(Header))
        return fail("truncated header");
    Header h;
    std::memcpy(&h, file->data(), sizeof(Header));
    if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0)
        return fail("not a Lathe cache file");
    if (h.version != kVersion)
        return fail("cache version " + std::to_string(h.version));
    if (h.byte_order != kByteOrderMark)
        return fail("written on a machine of other byte order");
    if (key.size() != sizeof(h.key) || std::memcmp(h.key, key.data(), sizeof(h.key)) != 0) {
        return fail("made for other inputs (key mismatch)");
    }
    if (h.block_size != block_size || h.block_size <= 0 || h.train_blocks < 0 ||
        h.validation_blocks < 0 || h.train_documents < 0 || h.validation_documents < 0) {
        return fail("corrupt header");
    }
    // Bounded by the file size before multiplying, so a corrupt count cannot overflow.
    const auto max_blocks =
        static_cast<std::int64_t>(file->size_bytes() / sizeof(std::int32_t)) / h.block_size;
    if (h.train_blocks > max_blocks || h.validation_blocks > max_blocks) {
        return fail("block counts larger than the file (truncated?)");
    }
    const auto total = static_cast<std::uint64_t>(h.train_blocks + h.validation_blocks) *
                       static_cast<std::uint64_t>(h.block_size);
    const std::uint64_t expected = sizeof(Header) + total * sizeof(std::int32_t);
    if (file->size_bytes() != expected) {
        return fail("size " + std::to_string(file->size_bytes()) + " bytes, expected " +
                    std::to_string(expected) + " (truncated?)");
    }
    const auto* tokens = reinterpret_cast<const std::int32_t*>(file->data() + sizeof(Header));
    if (checksum(kChecksumSeed, tokens, static_cast<std::int64_t>(total)) != h.payload_checksum) {
        return fail("checksum mismatch (corrupt)");
    }
    ClmCacheContent content;
    content.train = TokenBlocks::mapped(file, tokens, h.train_blocks, h.block_size);
    content.validation = TokenBlocks::mapped(file, tokens + h.train_blocks * h.block_size,
                                             h.validation_blocks, h.block_size);
    content.train_documents = h.train_documents;
    content.validation_documents = h.validation_documents;
    return content;
}

void write_clm_cache(const std::string& path, const std::string& key,
                     const ClmCacheContent& content) {
    if (key.size() != 64)
        throw Error(path + ": cache key must be 64 hex digits");
    const std::int64_t block_size = content.train.block_size();
    if (!content.validation.empty() && content.validation.block_size() != block_size) {
        throw Error(path + ": train and validation block sizes differ");
    }
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof(kMagic));
    h.version = kVersion;
    h.byte_order = kByteOrderMark;
    h.block_size = block_size;
    h.train_blocks = content.train.size();
    h.validation_blocks = content.validation.size();
    h.train_documents = content.train_documents;
    h.validation_documents = content.validation_documents;
    h.payload_checksum =
        checksum(checksum(kChecksumSeed, content.train.data(), content.train.total_tokens()),
                 content.validation.data(), content.validation.total_tokens());
    std::memcpy(h.key, key.data(), sizeof(h.key));

    // util::write_file_atomic uses one fixed ".tmp" name and wants the bytes in one buffer; a
    // unique name lets two processes prepare the same dataset at once, and streaming the blocks
    // avoids a second in-memory copy of the whole dataset.
    static std::atomic<unsigned> counter{0};
    const std::string tmp =
        path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(tmp + ": cannot create: " + std::strerror(errno));
    bool fd_open = true;
    try {
        write_all(fd, &h, sizeof(h), tmp);
        write_all(fd, content.train.data(),
                  static_cast<std::size_t>(content.train.total_tokens()) * sizeof(std::int32_t),
                  tmp);
        write_all(
            fd, content.validation.data(),
            static_cast<std::size_t>(content.validation.total_tokens()) * sizeof(std::int32_t),
            tmp);
        if (::fsync(fd) != 0)
            throw Error(tmp + ": cannot sync: " + std::strerror(errno));
        fd_open = false;
        if (::close(fd) != 0)
            throw Error(tmp + ": cannot close: " + std::strerror(errno));
    } catch (...) {
        if (fd_open)
            ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw Error(path + ": cannot rename from " + tmp + ": " + std::strerror(err));
    }
    const auto parent = std::filesystem::path(path).parent_path();
    util::sync_directory(parent.empty() ? "." : parent.string());
}

}  // namespace lathe::core::data
