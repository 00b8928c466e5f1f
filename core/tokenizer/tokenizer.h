#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::core::tokenizer {

// A Hugging Face `tokenizers`-compatible byte-level BPE tokenizer: loads tokenizer.json and gives
// the ids Python tokenizers 0.20.3 gives. Supported components (anything else is an Error naming
// its JSON path and type):
//   model           BPE (merges as "a b" strings or [a, b] pairs; unk_token, fuse_unk,
//                   byte_fallback, ignore_merges, continuing_subword_prefix, end_of_word_suffix;
//                   dropout null or 0)
//   added_tokens    special or not, single_word, lstrip, rstrip, normalized
//   normalizer      null, NFC, NFD, NFKC, NFKD (the four need ICU at build time), Sequence
//   pre_tokenizer   null, ByteLevel, Split (Regex written for Oniguruma, or String; every
//                   behavior; invert), Digits, Sequence
//   post_processor  null, ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing,
//                   Sequence
//   decoder         null, ByteLevel, Sequence
// "truncation" and "padding" are ignored, as transformers' fast tokenizers override them per call.
//
// Copies are cheap and share the loaded state; every method is const and thread-safe.
class Tokenizer {
  public:
    // Reads tokenizer.json, and bos_token/eos_token from a tokenizer_config.json beside it.
    static Tokenizer from_file(const std::string& tokenizer_json_path);
    // `source_name` names the text in errors (e.g. "tokenizer.json").
    static Tokenizer from_json(const std::string& json_text, const std::string& source_name);
    // For runs from scratch: the 256 byte-level characters as ids 0..255 (in byte order), no
    // merges, ByteLevel pre-tokenizer without prefix space or regex, and "<|endoftext|>" = 256 as
    // bos and eos. Every byte is one id, so any text round-trips.
    static Tokenizer byte_level();

    // Text that is not valid UTF-8 has its ill-formed bytes replaced by U+FFFD first (Python
    // strings cannot hold them).
    std::vector<std::int32_t> encode(std::string_view text, bool add_special_tokens = true) const;
    // Ids that name no token are skipped; bytes that do not form UTF-8 become U+FFFD.
    std::string decode(const std::vector<std::int32_t>& ids,
                       bool skip_special_tokens = false) const;

    std::int32_t vocab_size() const;  // max id + 1 over the vocab and the added tokens
    std::optional<std::int32_t> token_to_id(const std::string& token) const;
    std::string id_to_token(std::int32_t id) const;  // "" for an id that names no token
    // From tokenizer_config.json beside tokenizer.json when present; otherwise "<|endoftext|>",
    // "</s>", "<|end_of_text|>" for eos and the token the post-processor puts first,
    // "<|begin_of_text|>", "<s>", "<|endoftext|>" for bos, whichever exists first.
    std::optional<std::int32_t> eos_token_id() const;
    std::optional<std::int32_t> bos_token_id() const;

    // SHA-256 of the canonical tokenizer.json (parsed and re-serialized with sorted keys and no
    // whitespace): the cache key of tokenized data.
    std::string fingerprint() const;

    // Writes tokenizer.json (byte for byte the text that was loaded), tokenizer_config.json and
    // special_tokens_map.json (tokenizer_class PreTrainedTokenizerFast, bos/eos/unk when known,
    // clean_up_tokenization_spaces false so that decode gives back the text, and
    // model_max_length, chat_template and pad_token when the loaded config had them), creating
    // `dir` if needed.
    void save(const std::string& dir) const;

    struct Impl;

  private:
    explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

}  // namespace lathe::core::tokenizer
