#include "core/tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/util/error.h"
#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

namespace {

// Oniguruma's Unicode \s is the White_Space property: \t-\r, U+0085 and the Z categories. PCRE2's
// \s leaves out U+0085, so the set is spelled out (also as its complement, for \S inside a class).
constexpr const char* kSpace =
    "\\t-\\r\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}"
    "\\x{205f}\\x{3000}";
constexpr const char* kNotSpace =
    "\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{84}\\x{86}-\\x{9f}\\x{a1}-\\x{167f}\\x{1681}-\\x{1fff}"
    "\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}"
    "\\x{3001}-\\x{10ffff}";
// Oniguruma's Unicode \w: Letter, Mark, Number, Connector_Punctuation (PCRE2 10.42 leaves out
// marks and most of Pc).
constexpr const char* kWord = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
constexpr const char* kHex = "0-9a-fA-F";
constexpr const char* kNotHex = "\\x{0}-/:-@G-`g-\\x{10ffff}";

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string translate_oniguruma(std::string_view p, const std::string& where) {
    const std::string word = std::string("[") + kWord + "]";
    std::string out;
    out.reserve(p.size() + 64);
    bool in_class = false;
    std::size_t class_body_start = 0;  // a ']' right at the start of a class is a literal
    std::size_t i = 0;
    const std::size_t n = p.size();
    while (i < n) {
        const char c = p[i];
        if (c == '\\' && i + 1 < n) {
            const char d = p[i + 1];
            std::string replacement;
            switch (d) {
                case 's':
                    replacement = in_class ? kSpace : std::string("[") + kSpace + "]";
                    break;
                case 'S':
                    replacement = in_class ? kNotSpace : std::string("[^") + kSpace + "]";
                    break;
                case 'w':
                    replacement = in_class ? kWord : word;
                    break;
                case 'W':
                    // Inside a class PCRE2 has no way to add a complemented property union; its
                    // own \W differs from Oniguruma's only for marks and connector punctuation.
                    replacement = in_class ? "\\W" : std::string("[^") + kWord + "]";
                    break;
                case 'h':
                    replacement = in_class ? kHex : std::string("[") + kHex + "]";
                    break;
                case 'H':
                    replacement = in_class ? kNotHex : std::string("[^") + kHex + "]";
                    break;
                case 'b':
                    if (!in_class) {
                        replacement = "(?:(?<=" + word + ")(?!" + word + ")|(?<!" + word +
                                      ")(?=" + word + "))";
                    }
                    break;
                case 'B':
                    if (!in_class) {
                        replacement = "(?:(?<=" + word + ")(?=" + word + ")|(?<!" + word + ")(?!" +
                                      word + "))";
                    }
                    break;
                case 'u':
                    if (i + 6 <= n && is_hex(p[i + 2]) && is_hex(p[i + 3]) && is_hex(p[i + 4]) &&
                        is_hex(p[i + 5])) {
                        out += "\\x{";
                        out.append(p.substr(i + 2, 4));
                        out += "}";
                        i += 6;
                        continue;
                    }
                    break;
                default:
                    break;
            }
            if (!replacement.empty()) {
                out += replacement;
            } else {
                out += c;
                out += d;
            }
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == '[' && i + 1 < n && p[i + 1] == ':') {
                const std::size_t close = p.find(":]", i + 2);
                if (close != std::string_view::npos) {
                    out.append(p.substr(i, close + 2 - i));
                    i = close + 2;
                    continue;
                }
            }
            if (c == '&' && i + 1 < n && p[i + 1] == '&') {
                throw Error(where + ": character class intersection (&&) in regex \"" +
                            std::string(p) + "\" is not supported");
            }
            if (c == ']' && i != class_body_start)
                in_class = false;
            out += c;
            ++i;
            continue;
        }
        if (c == '[') {
            in_class = true;
            out += c;
            ++i;
            if (i < n && p[i] == '^') {
                out += '^';
                ++i;
            }
            class_body_start = i;
            continue;
        }
        if (c == '(' && i + 1 < n && p[i + 1] == '?') {
            // Inline options: in Ruby syntax `m` is PCRE's `s` (dot matches newline).
            std::size_t j = i + 2;
            while (j < n && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-'))
                ++j;
            if (j > i + 2 && j < n && (p[j] == ')' || p[j] == ':')) {
                out += "(?";
                for (std::size_t k = i + 2; k < j; ++k)
                    out += p[k] == 'm' ? 's' : p[k];
                i = j;
                continue;
            }
        }
        out += c;
        ++i;
    }
    return out;
}

struct Regex::Compiled {
    pcre2_code* code = nullptr;
    ~Compiled() { pcre2_code_free(code); }
};

namespace {

// Per-thread match scratch shared by every pattern: one ovector pair is enough as only the whole
// match is used (pcre2_match returns 0 then, which still reports group 0).
struct MatchScratch {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    MatchScratch() { pcre2_jit_stack_assign(context, nullptr, jit_stack); }
    ~MatchScratch() {
        pcre2_jit_stack_free(jit_stack);
        pcre2_match_context_free(context);
        pcre2_match_data_free(data);
    }
    MatchScratch(const MatchScratch&) = delete;
    MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& match_scratch() {
    thread_local MatchScratch scratch;
    return scratch;
}

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(code, buffer, sizeof buffer);
    return reinterpret_cast<const char*>(buffer);
}

}  // namespace

Regex Regex::compile(const std::string& pattern, std::uint32_t options, const std::string& where) {
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    // Oniguruma's newline is "\n" only, for `.`, `$` and `^`.
    pcre2_set_newline(context, PCRE2_NEWLINE_LF);
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     options, &error, &offset, context);
    pcre2_compile_context_free(context);
    if (code == nullptr) {
        throw Error(where + ": invalid regex \"" + pattern + "\" at offset " +
                    std::to_string(offset) + ": " + pcre2_message(error));
    }
    auto compiled = std::make_shared<Compiled>();
    compiled->code = code;
    // Without JIT (unsupported platform) pcre2_match interprets: slower, same results.
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    Regex regex;
    regex.compiled_ = std::move(compiled);
    return regex;
}

Regex Regex::oniguruma(std::string_view pattern, const std::string& where) {
    // Oniguruma's ^ and $ are line anchors (Ruby semantics): MULTILINE.
    return compile(translate_oniguruma(pattern, where), PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE,
                   where);
}

Regex Regex::literal(std::string_view text, const std::string& where) {
    return compile(std::string(text), PCRE2_UTF | PCRE2_LITERAL, where);
}

namespace {

int run_match(pcre2_code* code, std::string_view subject, std::size_t start, std::uint32_t options,
              MatchScratch& scratch) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                               start, options | PCRE2_NO_UTF_CHECK, scratch.data, scratch.context);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
        throw Error("regex match failed: " + pcre2_message(rc));
    }
    return rc;
}

}  // namespace

bool Regex::match_at(std::string_view subject, std::size_t start, std::size_t* match_end) const {
    MatchScratch& scratch = match_scratch();
    if (run_match(compiled_->code, subject, start, PCRE2_ANCHORED, scratch) < 0)
        return false;
    *match_end = pcre2_get_ovector_pointer(scratch.data)[1];
    return true;
}

bool Regex::find(std::string_view subject, std::size_t start, std::size_t* match_start,
                 std::size_t* match_end) const {
    MatchScratch& scratch = match_scratch();
    const int rc = run_match(compiled_->code, subject, start, 0, scratch);
    if (rc < 0)
        return false;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.data);
    *match_start = ovector[0];
    *match_end = ovector[1];
    return true;
}

std::size_t Regex::next_char_length(std::string_view subject, std::size_t pos) {
    if (pos >= subject.size())
        return 1;
    return util::utf8_lead_length(static_cast<unsigned char>(subject[pos]));
}

}  // namespace lathe::core::tokenizer
