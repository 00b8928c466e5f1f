#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/word_cache.h"

namespace lathe::core::tokenizer {

// Hugging Face's BPE model (tokenizers/src/models/bpe): a word's characters become vocab ids, then
// the adjacent pair with the lowest merge rank is merged (leftmost first) until none applies.
class BpeModel {
  public:
    // `model` is tokenizer.json's "model" object; errors name its path.
    static std::shared_ptr<const BpeModel> from_json(const JsonFields& model);

    // Appends the ids of one pre-tokenized word (tokenizers' BPE::tokenize).
    void tokenize(std::string_view word, std::vector<std::int32_t>& out) const;

    std::optional<std::int32_t> token_to_id(std::string_view token) const;
    const std::string* id_to_token(std::int32_t id) const;      // nullptr when unknown
    std::size_t entry_count() const { return tokens_.size(); }  // tokenizers' get_vocab_size
    std::int32_t max_id() const { return static_cast<std::int32_t>(id_index_.size()) - 1; }
    const std::optional<std::string>& unk_token() const { return unk_token_; }

    BpeModel(const BpeModel&) = delete;
    BpeModel& operator=(const BpeModel&) = delete;

  private:
    BpeModel() = default;

    struct Merge {
        std::int32_t rank;
        std::int32_t new_id;
    };
    // Open-addressing map from an id pair to its merge: the hot lookup of encoding.
    class MergeMap {
      public:
        void build(const std::vector<std::pair<std::uint64_t, Merge>>& entries);
        const Merge* find(std::int32_t left, std::int32_t right) const {
            if (mask_ == 0)
                return nullptr;
            const std::uint64_t key = pack(left, right);
            for (std::size_t i = slot(key);; i = (i + 1) & mask_) {
                const Slot& s = slots_[i];
                if (s.key == key)
                    return &s.merge;
                if (s.key == kEmpty)
                    return nullptr;
            }
        }
        static std::uint64_t pack(std::int32_t left, std::int32_t right) {
            return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right);
        }

      private:
        static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
        struct Slot {
            std::uint64_t key = kEmpty;
            Merge merge{0, 0};
        };
        std::size_t slot(std::uint64_t key) const {
            return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
        }
        std::vector<Slot> slots_;
        std::size_t mask_ = 0;
    };

    // The word's symbols before merging (tokenizers' merge_word up to merge_all).
    void initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const;
    void merge_small(std::vector<std::int32_t>& ids) const;
    void merge_large(std::vector<std::int32_t>& ids) const;
    std::int32_t unk_id() const;

    std::vector<std::string> tokens_;                         // one per vocab entry
    std::vector<std::int32_t> id_index_;                      // id -> index into tokens_, or -1
    std::unordered_map<std::string_view, std::int32_t> ids_;  // views into tokens_
    std::vector<std::int32_t> char_ids_;  // code point < 0x800 -> id of that one-char token, or -1
    MergeMap merges_;
    std::optional<std::string> unk_token_;
    std::optional<std::string> continuing_subword_prefix_;
    std::optional<std::string> end_of_word_suffix_;
    bool fuse_unk_ = false;
    bool byte_fallback_ = false;
    bool ignore_merges_ = false;
    mutable WordCache cache_;
};

}  // namespace lathe::core::tokenizer
