#include "core/checkpoints/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <system_error>

#include "core/util/error.h"

namespace lathe::core::checkpoints {
namespace {

using nlohmann::json;

// Python's float repr: the shortest digits that round-trip, positional when the decimal point
// falls in (-4, 16], with ".0" when there is no fraction; otherwise d.ddde+XX.
std::string python_float(double v) {
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v > 0 ? "Infinity" : "-Infinity";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (ec != std::errc())
        throw Error("cannot format the float " + std::to_string(v));
    std::string s(buf, end);  // "-1.2345e+03"
    std::string sign;
    if (s[0] == '-') {
        sign = "-";
        s.erase(0, 1);
    }
    const auto e = s.find('e');
    std::string digits = s.substr(0, e);
    if (digits.size() > 1)
        digits.erase(1, 1);  // drop the "."
    const int exponent = std::stoi(s.substr(e + 1));
    const int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
    const int n = static_cast<int>(digits.size());
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0)
            return sign + "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
        if (decpt < n)
            return sign + digits.substr(0, decpt) + "." + digits.substr(decpt);
        return sign + digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
    }
    std::string mantissa = digits.substr(0, 1);
    if (n > 1)
        mantissa += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + mantissa + exp;
}

void append_u(std::string& out, std::uint32_t unit) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", unit);
    out += buf;
}

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes decode to U+FFFD, one each.
std::uint32_t next_code_point(const std::string& s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) {
        ++i;
        return b0;
    } else if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07;
    } else {
        ++i;
        return 0xFFFD;
    }
    if (i + static_cast<std::size_t>(len) > s.size()) {
        ++i;
        return 0xFFFD;
    }
    for (int k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    static const std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return 0xFFFD;
    }
    i += static_cast<std::size_t>(len);
    return cp;
}

// json.dumps with ensure_ascii=True: \" \\ \n \r \t \b \f, every other byte outside ' '..'~'
// as \uXXXX (lower-case hex, surrogate pairs above U+FFFF).
void append_string(std::string& out, const std::string& s) {
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint32_t cp = next_code_point(s, i);
        switch (cp) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (cp >= 0x20 && cp <= 0x7E) {
                    out += static_cast<char>(cp);
                } else if (cp > 0xFFFF) {
                    const std::uint32_t v = cp - 0x10000;
                    append_u(out, 0xD800 | (v >> 10));
                    append_u(out, 0xDC00 | (v & 0x3FF));
                } else {
                    append_u(out, cp);
                }
        }
    }
    out += '"';
}

void dump(std::string& out, const json& v, int indent, int level) {
    const bool pretty = indent >= 0;
    const auto newline = [&](int depth) {
        out += '\n';
        out.append(static_cast<std::size_t>(indent * depth), ' ');
    };
    switch (v.type()) {
        case json::value_t::null:
            out += "null";
            break;
        case json::value_t::boolean:
            out += v.get<bool>() ? "true" : "false";
            break;
        case json::value_t::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            break;
        case json::value_t::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            break;
        case json::value_t::number_float:
            out += python_float(v.get<double>());
            break;
        case json::value_t::string:
            append_string(out, v.get_ref<const std::string&>());
            break;
        case json::value_t::array: {
            if (v.empty()) {
                out += "[]";
                break;
            }
            out += '[';
            bool first = true;
            for (const auto& item : v) {
                if (!first)
                    out += pretty ? "," : ", ";
                first = false;
                if (pretty)
                    newline(level + 1);
                dump(out, item, indent, level + 1);
            }
            if (pretty)
                newline(level);
            out += ']';
            break;
        }
        case json::value_t::object: {
            if (v.empty()) {
                out += "{}";
                break;
            }
            out += '{';
            bool first = true;
            // nlohmann keeps keys in byte order, which for UTF-8 is Python's code point order.
            for (const auto& item : v.items()) {
                if (!first)
                    out += pretty ? "," : ", ";
                first = false;
                if (pretty)
                    newline(level + 1);
                append_string(out, item.key());
                out += ": ";
                dump(out, item.value(), indent, level + 1);
            }
            if (pretty)
                newline(level);
            out += '}';
            break;
        }
        case json::value_t::binary:
        case json::value_t::discarded:
            throw Error("python_json_dumps: not a JSON value");
    }
}

// Sentinel strings for Python's non-finite literals while nlohmann parses the text.
constexpr const char* kNaN = "\x01lathe:NaN";
constexpr const char* kInf = "\x01lathe:Infinity";
constexpr const char* kNegInf = "\x01lathe:-Infinity";

void restore_non_finite(json& v) {
    if (v.is_string()) {
        const std::string s = v.get<std::string>();  // a copy: v changes type below
        if (s == kNaN) {
            v = std::nan("");
        } else if (s == kInf) {
            v = INFINITY;
        } else if (s == kNegInf) {
            v = -INFINITY;
        }
    } else if (v.is_structured()) {
        for (auto& item : v)
            restore_non_finite(item);
    }
}

}  // namespace

std::string python_json_dumps(const json& value, int indent) {
    std::string out;
    dump(out, value, indent, 0);
    return out;
}

json python_json_loads(const std::string& text, const std::string& source) {
    // Replace the bare words outside strings; lines stay where they are for error messages.
    std::string replaced;
    replaced.reserve(text.size());
    bool any = false;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c == '"') {
            std::size_t j = i + 1;
            while (j < text.size() && text[j] != '"')
                j += text[j] == '\\' ? 2 : 1;
            j = std::min(j + 1, text.size());
            replaced.append(text, i, j - i);
            i = j;
            continue;
        }
        const auto word = [&](const char* w, const char* sentinel) {
            const std::string_view sv(w);
            if (text.compare(i, sv.size(), sv) != 0)
                return false;
            replaced += "\"\\u0001";  // the sentinel's first char, escaped as JSON needs
            replaced += sentinel + 1;
            replaced += '"';
            i += sv.size();
            any = true;
            return true;
        };
        if (c == 'N' && word("NaN", kNaN))
            continue;
        if (c == 'I' && word("Infinity", kInf))
            continue;
        if (c == '-' && word("-Infinity", kNegInf))
            continue;
        replaced += c;
        ++i;
    }
    json j;
    try {
        j = json::parse(replaced);
    } catch (const json::parse_error& e) {
        // Line and column of the byte nlohmann stopped at (1-based).
        std::size_t line = 1, column = 1;
        const std::size_t stop =
            std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, replaced.size());
        for (std::size_t k = 0; k < stop; ++k) {
            if (replaced[k] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw Error(source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                    ": invalid JSON: " + e.what());
    }
    if (any)
        restore_non_finite(j);
    return j;
}

}  // namespace lathe::core::checkpoints
