#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::core::tokenizer {

// Word -> ids memo of the BPE model. Filled until `capacity` words, then only read (as tokenizers
// does): frequent words are seen early. Readers share a lock; a writer that would wait skips.
// Open addressing over flat arrays: a lookup touches one slot and the key's bytes, which is what
// makes the cache pay for itself against re-merging short words.
class WordCache {
  public:
    explicit WordCache(std::size_t capacity = 200000, std::size_t max_word_bytes = 255)
        : capacity_(capacity), max_word_bytes_(max_word_bytes) {}

    // Appends the cached ids of `word` to `out`; false when it is not cached.
    bool lookup(std::string_view word, std::vector<std::int32_t>& out) const;
    void insert(std::string_view word, const std::int32_t* ids, std::size_t count);

  private:
    struct Slot {
        std::uint64_t hash = 0;  // 0: empty (real hashes are forced odd)
        std::uint32_t key_offset = 0;
        std::uint32_t ids_offset = 0;
        std::uint16_t key_length = 0;
        std::uint16_t id_count = 0;
    };
    static std::uint64_t hash_of(std::string_view word);
    // Slot holding `word`, or the empty slot where it would go.
    std::size_t find_slot(std::string_view word, std::uint64_t hash) const;
    void grow();

    std::size_t capacity_;
    std::size_t max_word_bytes_;
    mutable std::shared_mutex mutex_;
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    std::string keys_;
    std::vector<std::int32_t> ids_;
};

}  // namespace lathe::core::tokenizer
