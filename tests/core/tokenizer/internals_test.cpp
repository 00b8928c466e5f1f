// The pieces under the Tokenizer: lossy UTF-8, the byte-level table, Oniguruma -> PCRE2.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/regex.h"
#include "core/util/error.h"
#include "core/util/utf8.h"

namespace lathe::core::tokenizer {
namespace {

std::string lossy(const std::string& bytes) {
    std::string out;
    util::append_utf8_lossy(bytes, out);
    return out;
}

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(TokenizerUtf8, LossyMaximalSubpartsBecomeOneReplacementEach) {
    // The cases Rust's String::from_utf8_lossy documents (Unicode's recommended practice).
    EXPECT_EQ(lossy("abc"), "abc");
    EXPECT_EQ(lossy("\xF0\x9F\x98"), kReplacement);             // truncated emoji
    EXPECT_EQ(lossy("\xC0\xAF"), kReplacement + kReplacement);  // overlong
    EXPECT_EQ(lossy("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
    EXPECT_EQ(lossy("\xE2\x82x"), kReplacement + "x");
    EXPECT_EQ(lossy("\xF4\x90\x80\x80"), kReplacement + kReplacement + kReplacement + kReplacement);
    EXPECT_EQ(lossy("a\x80\x80z"), "a" + kReplacement + kReplacement + "z");
    EXPECT_EQ(lossy("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(TokenizerUtf8, ValidityRejectsIllFormedSequences) {
    EXPECT_TRUE(util::is_valid_utf8(""));
    EXPECT_TRUE(util::is_valid_utf8("plain ascii text long enough for the 8-byte path"));
    EXPECT_TRUE(util::is_valid_utf8("\xF4\x8F\xBF\xBF"));
    EXPECT_FALSE(util::is_valid_utf8("\xF4\x90\x80\x80"));
    EXPECT_FALSE(util::is_valid_utf8("0123456789abcdef\xFF"));
    EXPECT_EQ(util::utf8_first_invalid("abc\xC3"), 3u);
}

TEST(TokenizerByteLevelTable, Gpt2Mapping) {
    const ByteLevelTable& table = ByteLevelTable::get();
    EXPECT_EQ(table.encoded(' '), "\xC4\xA0");   // Ġ
    EXPECT_EQ(table.encoded('\n'), "\xC4\x8A");  // Ċ
    EXPECT_EQ(table.encoded('!'), "!");
    EXPECT_EQ(table.encoded(0xAD), "\xC5\x83");  // the last of the 68 moved bytes
    EXPECT_EQ(table.encoded(0xE9), "\xC3\xA9");  // é stands for itself
    for (int b = 0; b < 256; ++b) {
        std::string bytes;
        ASSERT_TRUE(byte_level_decode(table.encoded(static_cast<unsigned char>(b)), bytes));
        ASSERT_EQ(bytes, std::string(1, static_cast<char>(b)));
    }
    std::string out;
    EXPECT_FALSE(byte_level_decode("a b", out));  // ' ' is not a byte-level character
    EXPECT_TRUE(out.empty());
}

std::vector<std::string> matches(const Regex& regex, const std::string& text) {
    std::vector<std::string> out;
    regex.for_each_match(
        text, [&](std::size_t s, std::size_t e) { out.push_back(text.substr(s, e - s)); });
    return out;
}

TEST(TokenizerOnigurumaRegex, ClassesFollowOniguruma) {
    // U+0085 is \s in Oniguruma (not in PCRE2's \s).
    EXPECT_EQ(matches(Regex::oniguruma(R"(\s+)", "t"), "a\xC2\x85 b"),
              (std::vector<std::string>{"\xC2\x85 "}));
    EXPECT_EQ(matches(Regex::oniguruma(R"([\S]+)", "t"),
                      "a\xC2\x85"
                      "b"),
              (std::vector<std::string>{"a", "b"}));
    // \w includes combining marks, \h is a hex digit.
    EXPECT_EQ(matches(Regex::oniguruma(R"(\w+)", "t"), "e\xCC\x81t\xC3\xA9 x"),
              (std::vector<std::string>{"e\xCC\x81t\xC3\xA9", "x"}));
    EXPECT_EQ(matches(Regex::oniguruma(R"(\h+)", "t"), "ab 12 fg"),
              (std::vector<std::string>{"ab", "12", "f"}));
    EXPECT_EQ(matches(Regex::oniguruma(R"(\u00e9+)", "t"), "caf\xC3\xA9\xC3\xA9"),
              (std::vector<std::string>{"\xC3\xA9\xC3\xA9"}));
    // Ruby's (?m) is "dot matches newline"; $ is a line anchor.
    EXPECT_EQ(matches(Regex::oniguruma("(?m)a.b", "t"), "a\nb"),
              (std::vector<std::string>{"a\nb"}));
    EXPECT_EQ(matches(Regex::oniguruma("x$", "t"), "x\nx"), (std::vector<std::string>{"x", "x"}));
    EXPECT_EQ(matches(Regex::oniguruma(R"((?i:'s))", "t"), "'S '\xC5\xBF"),
              (std::vector<std::string>{"'S", "'\xC5\xBF"}));
    EXPECT_THROW(Regex::oniguruma("[a-z&&[^aeiou]]", "t"), Error);
}

TEST(TokenizerOnigurumaRegex, EmptyMatchesIterateLikeRust) {
    // x* on "abxxc": (0,0) (1,1) (2,4) (5,5); the empty match at 4 right after "xx" is skipped.
    std::vector<std::pair<std::size_t, std::size_t>> found;
    Regex::oniguruma("x*", "t").for_each_match(
        "abxxc", [&](std::size_t s, std::size_t e) { found.emplace_back(s, e); });
    EXPECT_EQ(found,
              (std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {1, 1}, {2, 4}, {5, 5}}));
}

TEST(TokenizerOnigurumaRegex, LongWhitespaceRunsDoNotExhaustTheJitStack) {
    const Regex gpt2 = Regex::oniguruma(
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", "t");
    const std::string text = "a" + std::string(1 << 20, ' ') + "b";
    EXPECT_EQ(matches(gpt2, text).size(), 3u);
}

}  // namespace
}  // namespace lathe::core::tokenizer
