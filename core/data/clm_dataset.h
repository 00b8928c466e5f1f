#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/text_source.h"
#include "core/data/token_blocks.h"
#include "core/tokenizer/tokenizer.h"

namespace lathe::core::data {

struct DatasetOptions {
    std::vector<std::string> train_files;
    std::vector<std::string> eval_files;
    double validation_split_percent = 5.0;  // share of train documents held out when eval_files
                                            // is empty; 0 means no validation split
    TextSourceOptions text;
    std::int64_t block_size = 128;
    std::uint64_t seed = 42;
    std::int64_t max_model_positions = 0;  // >0: block_size above it is an error
    // Empty: ".lathe-cache" beside the first train file, falling back to $XDG_CACHE_HOME/lathe
    // (or ~/.cache/lathe) when that is not writable.
    std::string cache_dir;
    bool use_cache = true;
};

// Throws Error naming the offending field, e.g.
// "dataset.block_size = 4096 exceeds the model's max_position_embeddings 1024".
void validate(const DatasetOptions& options);

struct PreparedDataset {
    TokenBlocks train;
    TokenBlocks validation;  // empty when validation_split_percent is 0 and there are no eval_files
    bool from_cache = false;
    std::int64_t documents = 0;  // train + validation documents read
    std::int64_t train_documents = 0;
    std::int64_t validation_documents = 0;
    std::string cache_file;  // the cache file read or written; empty when no cache was used
    std::string cache_note;  // why an existing cache was rebuilt or none could be written
};

// Transformers run_clm semantics: read every document of the train files in order; without eval
// files hold out a seeded random share of the documents for validation; tokenize each document
// without special tokens, append EOS (when the tokenizer has one), concatenate, drop the
// remainder and cut into block_size blocks. With use_cache the blocks are stored in a cache file
// keyed by the sources' content, the text and split options, the tokenizer and block_size, and
// memory-mapped on the next call. The tokenizer's const methods must be thread-safe: documents
// are tokenized on all cores.
PreparedDataset prepare_causal_lm(const DatasetOptions& options,
                                  const tokenizer::Tokenizer& tokenizer);

// Indices of the documents in each split (both in shuffled order, as datasets' train_test_split).
struct DocumentSplit {
    std::vector<std::int64_t> train;
    std::vector<std::int64_t> validation;
};
// ceil(n * percent / 100) documents (at least 1 when percent > 0 and n >= 2, at most n - 1) go to
// validation, taken from a seeded_permutation(n, seed).
DocumentSplit split_documents(std::int64_t n, double validation_percent, std::uint64_t seed);

// EOS-separated token ids of `documents` in order, tokenized on all cores.
std::vector<std::int32_t> tokenize_documents(const std::vector<const std::string*>& documents,
                                             const tokenizer::Tokenizer& tokenizer);

// The directory the cache file goes in (created), or empty when none is writable. An explicit
// cache_dir that cannot be created or written is an Error.
std::string resolve_cache_dir(const DatasetOptions& options);

// $XDG_CACHE_HOME/lathe, else ~/.cache/lathe (created), or empty when neither is writable. Use it
// as cache_dir for sources in system folders, such as the embedded corpus, which would otherwise
// get a .lathe-cache folder beside them whenever the process may write there (as root).
std::string user_cache_dir();

// The cache file's name for these options and tokenizer: hashes every source file.
std::string cache_file_name(const DatasetOptions& options, const tokenizer::Tokenizer& tokenizer);

}  // namespace lathe::core::data
