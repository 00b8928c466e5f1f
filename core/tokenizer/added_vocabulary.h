#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/function_ref.h"
#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/regex.h"

namespace lathe::core::tokenizer {

struct AddedToken {
    std::string content;
    bool single_word = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;
    bool operator==(const AddedToken& o) const {
        return content == o.content && single_word == o.single_word && lstrip == o.lstrip &&
               rstrip == o.rstrip && normalized == o.normalized && special == o.special;
    }
};

// tokenizers' AddedVocabulary: tokens matched in the text before pre-tokenization. Those with
// normalized=false are found in the raw text, the others in the normalized pieces between them;
// matching is leftmost-longest (aho-corasick), then single_word/lstrip/rstrip apply.
class AddedVocabulary {
  public:
    // Adds the tokenizer.json "added_tokens" one by one as tokenizers' deserializer does, so ids
    // come out as Python assigns them (the model's id when the content is in its vocab).
    void add_from_json(const JsonFields& top, const BpeModel& model, const Normalizer* normalizer);

    std::optional<std::int32_t> token_to_id(std::string_view content) const;
    const AddedToken* token(std::int32_t id) const;
    bool is_special(const std::string& content) const { return special_set_.count(content) > 0; }
    std::int32_t max_id() const;  // -1 when empty

    // Splits `text` on the raw-text tokens (normalized_set false) or the normalized ones: calls
    // on_piece(piece, id) in order, id -1 for the text between tokens; empty pieces are skipped.
    void split(std::string_view text, bool normalized_set,
               FunctionRef<void(std::string_view, std::int32_t)> on_piece) const;

    bool has_tokens(bool normalized_set) const {
        return !(normalized_set ? normalized_ : raw_).patterns.empty();
    }

  private:
    // Byte trie over token contents for leftmost-longest search.
    struct Trie {
        struct Node {
            std::vector<std::pair<unsigned char, std::int32_t>> children;  // sorted by byte
            std::int32_t id = -1;                                          // token ending here
        };
        std::vector<Node> nodes{Node{}};
        std::vector<std::string> patterns;
        bool first_byte[256] = {};
        void add(const std::string& pattern, std::int32_t id);
        // Longest match starting at `pos`: its length and id; 0 when none.
        std::size_t longest_at(std::string_view text, std::size_t pos, std::int32_t* id) const;
    };

    void add(const AddedToken& token, const BpeModel& model);
    void refresh(const BpeModel& model, const Normalizer* normalizer);

    std::unordered_map<std::string, std::int32_t> ids_;    // added_tokens_map
    std::unordered_map<std::int32_t, AddedToken> tokens_;  // added_tokens_map_r
    std::vector<AddedToken> added_;                        // classic tokens, in order
    std::vector<AddedToken> special_;                      // special tokens, in order
    std::unordered_set<std::string> special_set_;
    Trie raw_;
    Trie normalized_;
    Regex word_char_;  // Rust regex's Unicode \w, for single_word
};

}  // namespace lathe::core::tokenizer
