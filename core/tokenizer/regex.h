#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace lathe::core::tokenizer {

// Rewrites a pattern written for Oniguruma (which Python tokenizers compiles its regexes with) into
// PCRE2 syntax with the same meaning where the two differ: \s, \S, \w, \W, \b, \B and \h use
// Oniguruma's Unicode classes (\s includes U+0085; \w includes marks; \h is a hex digit), \uHHHH
// becomes \x{HHHH}, and Ruby's (?m) (dot matches newline) becomes (?s). Throws Error naming
// `where` for what PCRE2 cannot express (class intersection `&&`).
std::string translate_oniguruma(std::string_view pattern, const std::string& where);

// A compiled PCRE2 pattern (UTF + UCP, JIT when available). Thread-safe: match scratch is per
// thread. Subjects must be valid UTF-8 (checked once by the caller, not per match).
class Regex {
  public:
    // `where` names the pattern in errors, e.g. "tokenizer.json: pre_tokenizer.pattern.Regex".
    static Regex oniguruma(std::string_view pattern, const std::string& where);
    static Regex literal(std::string_view text, const std::string& where);

    // Leftmost match starting at or after `start`; false when there is none.
    bool find(std::string_view subject, std::size_t start, std::size_t* match_start,
              std::size_t* match_end) const;

    // Match starting exactly at `start` (anchored); false when there is none.
    bool match_at(std::string_view subject, std::size_t start, std::size_t* match_end) const;

    // Successive matches as Rust's onig find_iter yields them: an empty match right where the
    // previous match ended is skipped, and the search then resumes one character further.
    template <typename OnMatch>
    void for_each_match(std::string_view subject, OnMatch&& on_match) const {
        std::size_t last_end = 0;
        std::size_t last_match = std::string_view::npos;
        std::size_t s = 0;
        std::size_t e = 0;
        while (last_end <= subject.size() && find(subject, last_end, &s, &e)) {
            if (s == e) {
                last_end = e + next_char_length(subject, e);
                if (e == last_match)
                    continue;
            } else {
                last_end = e;
            }
            last_match = e;
            on_match(s, e);
        }
    }

  private:
    struct Compiled;
    static Regex compile(const std::string& pattern, std::uint32_t options,
                         const std::string& where);
    static std::size_t next_char_length(std::string_view subject, std::size_t pos);
    std::shared_ptr<const Compiled> compiled_;
};

}  // namespace lathe::core::tokenizer
