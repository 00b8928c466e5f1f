#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/data/token_blocks.h"

namespace lathe::core::data {

// The prepared-dataset cache file: a 128-byte header (magic "LATHECLM", version, byte-order
// mark, block_size, block and document counts, a checksum of the token payload and the cache key)
// followed by the train blocks' int32 ids and then the validation blocks' ids, in host byte order.
struct ClmCacheContent {
    TokenBlocks train;
    TokenBlocks validation;
    std::int64_t train_documents = 0;
    std::int64_t validation_documents = 0;
};

// Maps `path` and checks it completely (header fields, size, key, payload checksum). Returns
// nullopt with `problem` set when the file is missing, truncated, corrupt or for another key; it
// never throws for a bad file.
std::optional<ClmCacheContent> load_clm_cache(const std::string& path, const std::string& key,
                                              std::int64_t block_size, std::string* problem);

// Writes to a unique temporary file beside `path`, fsyncs and renames it into place, so a crash
// or a concurrent writer never leaves a file that looks complete but is not. Throws Error.
void write_clm_cache(const std::string& path, const std::string& key,
                     const ClmCacheContent& content);

}  // namespace lathe::core::data
