// save() writes what Python and transformers load; from_file reads it back identically.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/tokenizer/tokenizer.h"
#include "core/util/file_io.h"
#include "tests/core/tokenizer/cases.h"

namespace lathe::core::tokenizer {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
    return nlohmann::json::parse(util::read_file(path.string()));
}

void expect_same_encodings(const Tokenizer& a, const Tokenizer& b) {
    for (const std::string& text : lathe::tests::hard_texts()) {
        EXPECT_EQ(a.encode(text), b.encode(text));
        EXPECT_EQ(a.encode(text, false), b.encode(text, false));
    }
}

TEST(TokenizerSave, FileTokenizerRoundTrips) {
    for (const std::string& name : lathe::tests::base_tokenizer_names()) {
        const std::string path = lathe::tests::tokenizer_fixture(name);
        const Tokenizer original = Tokenizer::from_file(path);
        const auto dir = lathe::tests::temp_dir("tokenizer-save-" + name);
        original.save(dir.string());
        // Python reads exactly the file that was given.
        EXPECT_EQ(util::read_file((dir / "tokenizer.json").string()), util::read_file(path));
        const Tokenizer loaded = Tokenizer::from_file((dir / "tokenizer.json").string());
        EXPECT_EQ(loaded.fingerprint(), original.fingerprint());
        EXPECT_EQ(loaded.vocab_size(), original.vocab_size());
        EXPECT_EQ(loaded.eos_token_id(), original.eos_token_id());
        EXPECT_EQ(loaded.bos_token_id(), original.bos_token_id());
        expect_same_encodings(original, loaded);

        const auto config = read_json(dir / "tokenizer_config.json");
        EXPECT_EQ(config["tokenizer_class"], "PreTrainedTokenizerFast");
        EXPECT_EQ(config["clean_up_tokenization_spaces"], false);
        EXPECT_EQ(config["eos_token"], original.id_to_token(*original.eos_token_id()));
        EXPECT_EQ(config["bos_token"], original.id_to_token(*original.bos_token_id()));
        const auto specials = read_json(dir / "special_tokens_map.json");
        EXPECT_EQ(specials["eos_token"], config["eos_token"]);
        std::filesystem::remove_all(dir);
    }
}

TEST(TokenizerSave, ByteLevelRoundTripsAndIsWrittenForPython) {
    const Tokenizer original = Tokenizer::byte_level();
    // LATHE_TOKENIZER_BYTE_LEVEL_DIR keeps the saved folder (plus Lathe's ids of the hard texts)
    // for `make_tokenizer_fixtures.py --check-byte-level DIR`.
    const char* keep = std::getenv("LATHE_TOKENIZER_BYTE_LEVEL_DIR");
    const std::filesystem::path dir =
        keep ? std::filesystem::path(keep) : lathe::tests::temp_dir("tokenizer-byte-level");
    original.save(dir.string());
    const Tokenizer loaded = Tokenizer::from_file((dir / "tokenizer.json").string());
    EXPECT_EQ(loaded.fingerprint(), original.fingerprint());
    EXPECT_EQ(loaded.vocab_size(), 257);
    EXPECT_EQ(loaded.eos_token_id(), 256);
    EXPECT_EQ(loaded.bos_token_id(), 256);
    expect_same_encodings(original, loaded);

    const auto config = read_json(dir / "tokenizer_config.json");
    EXPECT_EQ(config["eos_token"], "<|endoftext|>");
    EXPECT_EQ(config["bos_token"], "<|endoftext|>");
    const auto json = read_json(dir / "tokenizer.json");
    EXPECT_EQ(json["model"]["vocab"].size(), 256u);
    EXPECT_EQ(json["model"]["vocab"]["\xC4\xA0"], 32);
    EXPECT_TRUE(json["model"]["merges"].empty());

    if (keep) {
        nlohmann::json ids = nlohmann::json::array();
        for (const std::string& text : lathe::tests::hard_texts()) {
            ids.push_back({{"text", text}, {"ids", original.encode(text)}});
        }
        util::write_file_atomic((dir / "lathe_ids.json").string(), ids.dump());
    } else {
        std::filesystem::remove_all(dir);
    }
}

TEST(TokenizerSave, ConfigBesideTheFileNamesBosAndEos) {
    const auto dir = lathe::tests::temp_dir("tokenizer-config");
    const std::string text = util::read_file(lathe::tests::tokenizer_fixture("llama3-style"));
    util::write_file_atomic((dir / "tokenizer.json").string(), text);
    util::write_file_atomic((dir / "tokenizer_config.json").string(),
                            R"({"eos_token": {"content": "<|begin_of_text|>", "lstrip": false},
                                "bos_token": null, "model_max_length": 4096,
                                "chat_template": "{{ messages }}"})");
    const Tokenizer tokenizer = Tokenizer::from_file((dir / "tokenizer.json").string());
    EXPECT_EQ(tokenizer.eos_token_id(), tokenizer.token_to_id("<|begin_of_text|>"));
    EXPECT_FALSE(tokenizer.bos_token_id().has_value());

    const auto out = lathe::tests::temp_dir("tokenizer-config-out");
    tokenizer.save(out.string());
    const auto config = read_json(out / "tokenizer_config.json");
    EXPECT_EQ(config["eos_token"], "<|begin_of_text|>");
    EXPECT_FALSE(config.contains("bos_token"));
    EXPECT_EQ(config["model_max_length"], 4096);
    EXPECT_EQ(config["chat_template"], "{{ messages }}");

    util::write_file_atomic((dir / "tokenizer_config.json").string(),
                            R"({"eos_token": "<|end_of_text|>"})");
    const Tokenizer plain = Tokenizer::from_file((dir / "tokenizer.json").string());
    EXPECT_EQ(plain.eos_token_id(), plain.token_to_id("<|end_of_text|>"));
    // No bos_token key: the template's first token.
    EXPECT_EQ(plain.bos_token_id(), plain.token_to_id("<|begin_of_text|>"));
    std::filesystem::remove_all(dir);
    std::filesystem::remove_all(out);
}

TEST(TokenizerSave, FingerprintIsCanonical) {
    const std::string path = lathe::tests::tokenizer_fixture("gpt2-style");
    const std::string text = util::read_file(path);
    const auto pretty = nlohmann::json::parse(text).dump(4);
    const Tokenizer a = Tokenizer::from_json(text, "a");
    const Tokenizer b = Tokenizer::from_json(pretty, "b");
    EXPECT_EQ(a.fingerprint(), b.fingerprint());
    EXPECT_EQ(a.fingerprint().size(), 64u);
    EXPECT_NE(a.fingerprint(), Tokenizer::byte_level().fingerprint());
    EXPECT_NE(a.fingerprint(),
              Tokenizer::from_file(lathe::tests::tokenizer_fixture("llama3-style")).fingerprint());
    // Copies share the state.
    const Tokenizer copy = a;
    EXPECT_EQ(copy.fingerprint(), a.fingerprint());
    EXPECT_EQ(copy.encode("Hello world"), a.encode("Hello world"));
}

}  // namespace
}  // namespace lathe::core::tokenizer
