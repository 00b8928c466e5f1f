#include <nlohmann/json.hpp>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/tokenizer.h"

namespace lathe::core::tokenizer {

namespace {

// The tokenizer.json of Tokenizer::byte_level(), in the layout tokenizers itself writes so that
// Python loads it unchanged. Without merges a regex split cannot change any id, so use_regex is
// false (faster in both implementations).
std::string byte_level_tokenizer_json() {
    using Json = nlohmann::ordered_json;
    const Json byte_level = {{"type", "ByteLevel"},
                             {"add_prefix_space", false},
                             {"trim_offsets", true},
                             {"use_regex", false}};
    Json vocab = Json::object();
    const ByteLevelTable& table = ByteLevelTable::get();
    for (int b = 0; b < 256; ++b) {
        vocab[std::string(table.encoded(static_cast<unsigned char>(b)))] = b;
    }
    Json root = Json::object();
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    root["added_tokens"] = Json::array({Json{{"id", 256},
                                             {"content", "<|endoftext|>"},
                                             {"single_word", false},
                                             {"lstrip", false},
                                             {"rstrip", false},
                                             {"normalized", false},
                                             {"special", true}}});
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = byte_level;
    root["post_processor"] = byte_level;
    root["decoder"] = byte_level;
    root["model"] = Json{{"type", "BPE"},
                         {"dropout", nullptr},
                         {"unk_token", nullptr},
                         {"continuing_subword_prefix", nullptr},
                         {"end_of_word_suffix", nullptr},
                         {"fuse_unk", false},
                         {"byte_fallback", false},
                         {"ignore_merges", false},
                         {"vocab", vocab},
                         {"merges", Json::array()}};
    return root.dump(2) + "\n";
}

}  // namespace

Tokenizer Tokenizer::byte_level() {
    static const Tokenizer tokenizer = from_json(byte_level_tokenizer_json(), "byte_level()");
    return tokenizer;
}

}  // namespace lathe::core::tokenizer
