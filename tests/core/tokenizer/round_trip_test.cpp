// decode(encode(x)) == x for any valid UTF-8, and the byte-level fallback's one id per byte.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "core/util/utf8.h"
#include "tests/core/tokenizer/cases.h"

namespace lathe::core::tokenizer {
namespace {

// Random valid UTF-8 mixing the ranges tokenizers treat differently: ASCII letters, digits and
// punctuation, whitespace (incl. U+0085, U+3000), Latin-1, combining marks, CJK, emoji, and any
// scalar value at all.
std::string random_text(std::mt19937& rng, std::size_t max_chars) {
    static const std::vector<std::pair<char32_t, char32_t>> ranges = {
        {0x20, 0x7E},     {0x30, 0x39},       {0x09, 0x0D},       {0x20, 0x20},
        {0x85, 0x85},     {0xA0, 0xFF},       {0x300, 0x36F},     {0x3000, 0x3000},
        {0x4E00, 0x9FFF}, {0x1F300, 0x1F6FF}, {0x1F1E6, 0x1F1FF}, {0x200D, 0x200D},
        {0x0, 0x10FFFF},
    };
    std::uniform_int_distribution<std::size_t> length(0, max_chars);
    std::uniform_int_distribution<std::size_t> pick(0, ranges.size() - 1);
    std::string text;
    const std::size_t n = length(rng);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& [lo, hi] = ranges[pick(rng)];
        char32_t cp = std::uniform_int_distribution<char32_t>(lo, hi)(rng);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;  // surrogates are not scalar values
        util::append_utf8(cp, text);
    }
    return text;
}

TEST(TokenizerRoundTrip, RandomUtf8ThroughEveryFixtureTokenizer) {
    for (const std::string& name : lathe::tests::base_tokenizer_names()) {
        const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture(name));
        std::mt19937 rng(20240601);
        for (int i = 0; i < 400; ++i) {
            const std::string text = random_text(rng, 60);
            ASSERT_TRUE(util::is_valid_utf8(text));
            ASSERT_EQ(tokenizer.decode(tokenizer.encode(text, false)), text) << name << " #" << i;
        }
    }
}

TEST(TokenizerRoundTrip, EncodeIsStableAcrossCacheHits) {
    // The second encode of the same text comes from the word cache.
    const Tokenizer tokenizer =
        Tokenizer::from_file(lathe::tests::tokenizer_fixture("llama3-style"));
    for (const std::string& text : lathe::tests::hard_texts()) {
        EXPECT_EQ(tokenizer.encode(text), tokenizer.encode(text));
    }
}

TEST(TokenizerRoundTrip, ConcurrentEncodesShareTheCacheSafely) {
    const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture("gpt2-style"));
    std::mt19937 rng(11);
    std::vector<std::string> texts;
    for (int i = 0; i < 200; ++i)
        texts.push_back(random_text(rng, 80));
    std::vector<std::vector<std::int32_t>> expected;
    {
        // A separate instance, so that the shared one starts with an empty cache.
        const Tokenizer reference =
            Tokenizer::from_file(lathe::tests::tokenizer_fixture("gpt2-style"));
        for (const auto& text : texts)
            expected.push_back(reference.encode(text));
    }
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                for (std::size_t i = 0; i < texts.size(); ++i) {
                    const std::size_t k = (i * 7 + static_cast<std::size_t>(t) * 13) % texts.size();
                    if (tokenizer.encode(texts[k]) != expected[k])
                        ++failures[t];
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(TokenizerRoundTrip, InvalidUtf8InputIsReplacedLikePythonErrorsReplace) {
    const Tokenizer tokenizer = Tokenizer::from_file(lathe::tests::tokenizer_fixture("gpt2-style"));
    const std::string bad = std::string("ok\xff") + "\xe2\x82" + "!";
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(bad, false)), "ok\xEF\xBF\xBD\xEF\xBF\xBD!");
    EXPECT_EQ(tokenizer.encode(bad, false), tokenizer.encode("ok\uFFFD\uFFFD!", false));
}

std::vector<std::int32_t> byte_ids(const std::string& text) {
    std::vector<std::int32_t> ids;
    for (const char c : text)
        ids.push_back(static_cast<unsigned char>(c));
    return ids;
}

TEST(ByteLevelFallback, EveryByteIsItsOwnId) {
    const Tokenizer tokenizer = Tokenizer::byte_level();
    EXPECT_EQ(tokenizer.vocab_size(), 257);
    EXPECT_EQ(tokenizer.eos_token_id(), 256);
    EXPECT_EQ(tokenizer.bos_token_id(), 256);
    EXPECT_EQ(tokenizer.token_to_id("<|endoftext|>"), 256);
    EXPECT_EQ(tokenizer.id_to_token(32), "\xC4\xA0");  // "Ġ"
    EXPECT_EQ(tokenizer.id_to_token(65), "A");
    EXPECT_EQ(tokenizer.id_to_token(0), "\xC4\x80");    // U+0100
    EXPECT_EQ(tokenizer.id_to_token(173), "\xC5\x83");  // U+0143
    std::mt19937 rng(7);
    for (int i = 0; i < 500; ++i) {
        const std::string text = random_text(rng, 80);
        ASSERT_EQ(tokenizer.encode(text), byte_ids(text));
        ASSERT_EQ(tokenizer.decode(tokenizer.encode(text)), text);
    }
    const std::string all_ascii = [] {
        std::string s;
        for (int c = 0; c < 128; ++c)
            s.push_back(static_cast<char>(c));
        return s;
    }();
    EXPECT_EQ(tokenizer.encode(all_ascii), byte_ids(all_ascii));
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(all_ascii)), all_ascii);
}

TEST(ByteLevelFallback, SpecialTokenInsideText) {
    const Tokenizer tokenizer = Tokenizer::byte_level();
    EXPECT_EQ(tokenizer.encode("a<|endoftext|>b"), (std::vector<std::int32_t>{97, 256, 98}));
    EXPECT_EQ(tokenizer.decode({97, 256, 98}), "a<|endoftext|>b");
    EXPECT_EQ(tokenizer.decode({97, 256, 98}, true), "ab");
    // Half a character decodes to U+FFFD, as Python does.
    EXPECT_EQ(tokenizer.decode({0xE2, 0x82}), "\xEF\xBF\xBD");
}

TEST(ByteLevelFallback, LongInputWithoutSplits) {
    // use_regex is false: the whole text is one word, which must stay linear.
    const Tokenizer tokenizer = Tokenizer::byte_level();
    std::mt19937 rng(3);
    std::string text;
    while (text.size() < (1u << 20))
        text += random_text(rng, 200);
    EXPECT_EQ(tokenizer.encode(text), byte_ids(text));
}

}  // namespace
}  // namespace lathe::core::tokenizer
