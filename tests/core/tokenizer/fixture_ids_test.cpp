// Lathe's ids and decodes against Python tokenizers 0.20.3 (tests/fixtures/tokenizer/cases.json).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/core/tokenizer/cases.h"

namespace lathe::core::tokenizer {
namespace {

using Ids = std::vector<std::int32_t>;
using lathe::tests::tokenizer_cases;

// Compares every case of one tokenizer; `cases` maps a text index (or position) to its entry.
void expect_cases(const Tokenizer& tokenizer, const nlohmann::json& cases,
                  const std::vector<std::string>& texts, const std::string& name) {
    auto check = [&](std::size_t index, const nlohmann::json& entry) {
        const std::string& text = texts[index];
        SCOPED_TRACE(name + " text #" + std::to_string(index) + ": " + text.substr(0, 60));
        const Ids ids = entry["ids"].get<Ids>();
        const Ids plain = entry.contains("ids_plain") ? entry["ids_plain"].get<Ids>() : ids;
        EXPECT_EQ(tokenizer.encode(text, true), ids);
        EXPECT_EQ(tokenizer.encode(text, false), plain);
        const std::string decoded =
            entry.contains("decoded") ? entry["decoded"].get<std::string>() : text;
        EXPECT_EQ(tokenizer.decode(ids, false), decoded);
        const std::string skipped = entry.contains("decoded_skip_special")
                                        ? entry["decoded_skip_special"].get<std::string>()
                                        : decoded;
        EXPECT_EQ(tokenizer.decode(ids, true), skipped);
    };
    if (cases.is_array()) {
        ASSERT_EQ(cases.size(), texts.size()) << name;
        for (std::size_t i = 0; i < cases.size(); ++i)
            check(i, cases[i]);
    } else {
        for (const auto& [index, entry] : cases.items())
            check(std::stoul(index), entry);
    }
}

TEST(TokenizerFixtures, VersionsArePinned) {
    EXPECT_EQ(tokenizer_cases()["versions"]["tokenizers"], "0.20.3");
}

TEST(TokenizerFixtures, BaseTokenizersGivePythonIds) {
    const auto texts = lathe::tests::hard_texts();
    ASSERT_GE(texts.size(), 25u);
    for (const std::string& name : lathe::tests::base_tokenizer_names()) {
        const auto& entry = tokenizer_cases()["tokenizers"][name];
        const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture(name));
        EXPECT_EQ(tokenizer.vocab_size(), entry["vocab_size"].get<std::int32_t>()) << name;
        expect_cases(tokenizer, entry["cases"], texts, name);
    }
}

TEST(TokenizerFixtures, BaseTokenizersRoundTripHardTexts) {
    for (const std::string& name : lathe::tests::base_tokenizer_names()) {
        const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture(name));
        for (const std::string& text : lathe::tests::hard_texts()) {
            EXPECT_EQ(tokenizer.decode(tokenizer.encode(text, false)), text) << name;
        }
    }
}

// A variant is a base tokenizer.json with some fields replaced (dotted paths).
std::string variant_json(const nlohmann::json& variant) {
    const std::string base = variant["base"].get<std::string>();
    nlohmann::json root =
        nlohmann::json::parse(util::read_file(lathe::tests::tokenizer_fixture(base)));
    for (const auto& [path, value] : variant["patch"].items()) {
        nlohmann::json* node = &root;
        std::size_t start = 0;
        std::size_t dot = 0;
        while ((dot = path.find('.', start)) != std::string::npos) {
            node = &(*node)[path.substr(start, dot - start)];
            start = dot + 1;
        }
        (*node)[path.substr(start)] = value;
    }
    return root.dump();
}

TEST(TokenizerFixtures, VariantsGivePythonIds) {
    const auto texts = lathe::tests::hard_texts();
    std::size_t checked = 0;
    for (const auto& variant : tokenizer_cases()["variants"]) {
        const std::string name = variant["name"].get<std::string>();
        const std::string json = variant_json(variant);
        const bool needs_icu = json.find("\"NFC\"") != std::string::npos;
        if (needs_icu) {
            try {
                Tokenizer::from_json(json, name);
            } catch (const Error& e) {
                // Builds without ICU refuse NFC, saying so.
                EXPECT_NE(std::string(e.what()).find("ICU"), std::string::npos) << e.what();
                continue;
            }
        }
        const Tokenizer tokenizer = Tokenizer::from_json(json, name);
        EXPECT_EQ(tokenizer.vocab_size(), variant["vocab_size"].get<std::int32_t>()) << name;
        expect_cases(tokenizer, variant["cases"], texts, name);
        ++checked;
    }
    EXPECT_GE(checked, 20u);
}

TEST(TokenizerFixtures, PartialDecodesReplaceInvalidUtf8LikePython) {
    const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture("gpt2-style"));
    const auto& cases = tokenizer_cases()["partial_decodes"]["gpt2-style"];
    ASSERT_GT(cases.size(), 30u);
    for (const auto& entry : cases) {
        const Ids ids = entry["ids"].get<Ids>();
        // Python's decode skips special tokens by default; the fixture used that default.
        EXPECT_EQ(tokenizer.decode(ids, true), entry["text"].get<std::string>()) << entry.dump();
    }
}

TEST(TokenizerFixtures, GptStyleSpecialTokens) {
    const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture("gpt2-style"));
    const auto eot = tokenizer.token_to_id("<|endoftext|>");
    ASSERT_TRUE(eot.has_value());
    EXPECT_EQ(tokenizer.eos_token_id(), eot);
    EXPECT_EQ(tokenizer.bos_token_id(), eot);
    EXPECT_EQ(tokenizer.id_to_token(*eot), "<|endoftext|>");
    EXPECT_EQ(tokenizer.encode("a<|endoftext|>b", false).at(1), *eot);
    EXPECT_EQ(tokenizer.id_to_token(1 << 20), "");
    EXPECT_FALSE(tokenizer.token_to_id("no such token").has_value());
}

TEST(TokenizerFixtures, Llama3StyleSpecialTokens) {
    const Tokenizer tokenizer =
        Tokenizer::from_file(lathe::tests::tokenizer_fixture("llama3-style"));
    const auto bos = tokenizer.token_to_id("<|begin_of_text|>");
    const auto eos = tokenizer.token_to_id("<|end_of_text|>");
    ASSERT_TRUE(bos && eos);
    EXPECT_EQ(tokenizer.bos_token_id(), bos);
    EXPECT_EQ(tokenizer.eos_token_id(), eos);
    // The specials come after the model vocabulary, as in Llama 3.
    EXPECT_EQ(*eos, tokenizer.vocab_size() - 2);
    const Ids ids = tokenizer.encode("Hello");
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.front(), *bos);
}

}  // namespace
}  // namespace lathe::core::tokenizer
