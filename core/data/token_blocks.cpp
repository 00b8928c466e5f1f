#include "core/data/token_blocks.h"

#include <string>

#include "core/util/error.h"

namespace lathe::core::data {

TokenBlocks TokenBlocks::owned(std::vector<std::int32_t> tokens, std::int64_t block_size) {
    if (block_size <= 0) {
        throw Error("TokenBlocks: block_size " + std::to_string(block_size) + " must be positive");
    }
    TokenBlocks blocks;
    blocks.block_size_ = block_size;
    blocks.n_blocks_ = static_cast<std::int64_t>(tokens.size()) / block_size;
    tokens.resize(static_cast<std::size_t>(blocks.n_blocks_ * block_size));
    tokens.shrink_to_fit();
    auto storage = std::make_shared<const std::vector<std::int32_t>>(std::move(tokens));
    blocks.data_ = storage->data();
    blocks.owned_ = std::move(storage);
    return blocks;
}

TokenBlocks TokenBlocks::mapped(std::shared_ptr<util::MappedFile> file, const std::int32_t* tokens,
                                std::int64_t n_blocks, std::int64_t block_size) {
    TokenBlocks blocks;
    blocks.file_ = std::move(file);
    blocks.data_ = tokens;
    blocks.n_blocks_ = n_blocks;
    blocks.block_size_ = block_size;
    return blocks;
}

const std::int32_t* TokenBlocks::block(std::int64_t i) const {
    if (i < 0 || i >= n_blocks_) {
        throw Error("TokenBlocks: block " + std::to_string(i) + " out of range (" +
                    std::to_string(n_blocks_) + " blocks)");
    }
    return data_ + i * block_size_;
}

}  // namespace lathe::core::data
