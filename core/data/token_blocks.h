#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/util/mapped_file.h"

namespace lathe::core::data {

// n blocks of block_size int32 token ids, laid out back to back. The ids are either owned or
// point into a memory-mapped cache file (kept alive by this object), so a prepared dataset of
// any size costs no copy on reuse. Copies share the same storage.
class TokenBlocks {
  public:
    TokenBlocks() = default;
    // Keeps the first (tokens.size() / block_size) * block_size ids; the remainder is dropped.
    static TokenBlocks owned(std::vector<std::int32_t> tokens, std::int64_t block_size);
    // `tokens` points at n_blocks * block_size ids inside `file`.
    static TokenBlocks mapped(std::shared_ptr<util::MappedFile> file, const std::int32_t* tokens,
                              std::int64_t n_blocks, std::int64_t block_size);

    std::int64_t size() const { return n_blocks_; }
    std::int64_t block_size() const { return block_size_; }
    std::int64_t total_tokens() const { return n_blocks_ * block_size_; }
    bool empty() const { return n_blocks_ == 0; }
    bool is_mapped() const { return file_ != nullptr; }
    // Block i (0 <= i < size()); out of range is an Error.
    const std::int32_t* block(std::int64_t i) const;
    // All size() * block_size() ids.
    const std::int32_t* data() const { return data_; }

  private:
    std::shared_ptr<const std::vector<std::int32_t>> owned_;
    std::shared_ptr<util::MappedFile> file_;
    const std::int32_t* data_ = nullptr;
    std::int64_t n_blocks_ = 0;
    std::int64_t block_size_ = 0;
};

}  // namespace lathe::core::data
