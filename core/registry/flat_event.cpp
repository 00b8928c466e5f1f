#include "core/registry/flat_event.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace lathe::core::registry {
namespace {

class Scanner {
  public:
    explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    // JSON whitespace; the line's "\n" is already cut off.
    void skip_space() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n'))
            ++p_;
    }
    bool at_end() const { return p_ == end_; }
    bool eat(char c) {
        if (p_ == end_ || *p_ != c)
            return false;
        ++p_;
        return true;
    }
    char peek() const { return p_ == end_ ? '\0' : *p_; }

    // A string of printable ASCII without escapes (the DOM parser handles the rest: it validates
    // UTF-8 and decodes escapes).
    bool string(std::string_view& out) {
        if (!eat('"'))
            return false;
        const char* begin = p_;
        while (p_ != end_) {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
                ++p_;
                return true;
            }
            if (c < 0x20 || c >= 0x7f || c == '\\')
                return false;
            ++p_;
        }
        return false;
    }

    // JSON's number grammar, exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(FlatNumber& out) {
        const char* begin = p_;
        eat('-');
        const char* digits = p_;
        if (eat('0')) {
            if (is_digit(peek()))
                return false;  // a leading zero
        } else if (!skip_digits()) {
            return false;
        }
        const std::size_t integer_digits = static_cast<std::size_t>(p_ - digits);
        bool integer = true;
        if (eat('.')) {
            integer = false;
            if (!skip_digits())
                return false;
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            ++p_;
            if (!eat('+'))
                eat('-');
            if (!skip_digits())
                return false;
        }
        out.is_integer = integer;
        if (integer) {
            // nlohmann keeps up to 64-bit integers; 18 digits always fit an int64.
            if (integer_digits > 18)
                return false;
            std::from_chars(begin, p_, out.integer);
            out.real = static_cast<double>(out.integer);
            return true;
        }
        // Correctly rounded, as the strtod nlohmann uses; overflow is the DOM parser's to report.
        const auto result = std::from_chars(begin, p_, out.real);
        return result.ec == std::errc() && result.ptr == p_ && std::isfinite(out.real);
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word)
            return false;
        p_ += word.size();
        return true;
    }

  private:
    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    bool skip_digits() {
        const char* begin = p_;
        while (p_ != end_ && is_digit(*p_))
            ++p_;
        return p_ != begin;
    }

    const char* p_;
    const char* end_;
};

}  // namespace

bool parse_flat_event(std::string_view line, FlatEvent& event) {
    event.numbers.clear();
    event.other_keys.clear();
    event.type = {};
    bool has_seq = false, has_type = false;
    Scanner in(line);
    in.skip_space();
    if (!in.eat('{'))
        return false;
    in.skip_space();
    if (!in.eat('}')) {
        for (;;) {
            std::string_view key;
            in.skip_space();
            if (!in.string(key))
                return false;
            in.skip_space();
            if (!in.eat(':'))
                return false;
            in.skip_space();
            const char c = in.peek();
            if (c == '"') {
                std::string_view text;
                if (!in.string(text))
                    return false;
                if (key == "type") {
                    if (has_type)
                        return false;  // a duplicate: nlohmann keeps the last one
                    has_type = true;
                    event.type = text;
                } else if (key == "seq") {
                    return false;  // not an event: the DOM path words the error
                }
                event.other_keys.push_back(key);
            } else if (c == 't' || c == 'f' || c == 'n') {
                if (!in.literal(c == 't' ? "true" : c == 'f' ? "false" : "null"))
                    return false;
                if (key == "seq" || key == "type")
                    return false;
                event.other_keys.push_back(key);
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                FlatNumber number;
                if (!in.number(number))
                    return false;
                if (key == "type")
                    return false;
                if (key == "seq") {
                    if (!number.is_integer || has_seq)
                        return false;
                    has_seq = true;
                    event.seq = number.integer;
                }
                event.numbers.push_back({key, number});
            } else {
                return false;  // an object or an array: the DOM path
            }
            in.skip_space();
            if (in.eat('}'))
                break;
            if (!in.eat(','))
                return false;
        }
    }
    in.skip_space();
    if (!in.at_end() || !has_seq || !has_type)
        return false;
    // nlohmann keeps the last of duplicate keys; such lines are left to it. An insertion sort:
    // EventWriter writes the envelope first and then the fields sorted, so a dozen keys are
    // nearly in order already.
    auto by_key = [](const FlatField& a, const FlatField& b) { return a.key < b.key; };
    for (auto it = event.numbers.begin(); it != event.numbers.end(); ++it)
        std::rotate(std::upper_bound(event.numbers.begin(), it, *it, by_key), it, it + 1);
    auto same_key = [](const FlatField& a, const FlatField& b) { return a.key == b.key; };
    if (std::adjacent_find(event.numbers.begin(), event.numbers.end(), same_key) !=
        event.numbers.end())
        return false;
    std::sort(event.other_keys.begin(), event.other_keys.end());
    if (std::adjacent_find(event.other_keys.begin(), event.other_keys.end()) !=
        event.other_keys.end())
        return false;
    for (const std::string_view key : event.other_keys) {
        if (std::binary_search(
                event.numbers.begin(), event.numbers.end(), FlatField{key, {}},
                [](const FlatField& a, const FlatField& b) { return a.key < b.key; }))
            return false;
    }
    return true;
}

}  // namespace lathe::core::registry
