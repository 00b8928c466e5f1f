#include "core/util/utf8.h"

#include <cstdint>
#include <cstring>

namespace lathe::core::util {

namespace {

// How many bytes of a sequence with this lead byte are acceptable: returns the number of bytes
// (1..4) forming a valid prefix, and sets `complete` when they form a whole character.
std::size_t valid_prefix(std::string_view text, std::size_t pos, bool* complete) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    const unsigned char lead = s[pos];
    *complete = false;
    if (lead < 0x80) {
        *complete = true;
        return 1;
    }
    std::size_t need = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 2;
        if (lead == 0xE0)
            lo = 0xA0;
        if (lead == 0xED)
            hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 3;
        if (lead == 0xF0)
            lo = 0x90;
        if (lead == 0xF4)
            hi = 0x8F;
    } else {
        return 0;  // 0x80..0xC1 and 0xF5..0xFF never start a character
    }
    std::size_t i = 1;
    for (; i <= need; ++i) {
        if (pos + i >= n)
            return i;
        const unsigned char c = s[pos + i];
        const unsigned char min = i == 1 ? lo : 0x80;
        const unsigned char max = i == 1 ? hi : 0xBF;
        if (c < min || c > max)
            return i;
    }
    *complete = true;
    return need + 1;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    bool complete = false;
    const std::size_t length = valid_prefix(text, pos, &complete);
    return complete ? length : 0;
}

std::size_t utf8_first_invalid(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t pos = 0;
    while (pos < n) {
        // Most text is ASCII: check eight bytes at a time.
        while (pos + 8 <= n) {
            std::uint64_t block;
            std::memcpy(&block, s + pos, 8);
            if (block & 0x8080808080808080ULL)
                break;
            pos += 8;
        }
        if (pos >= n)
            break;
        if (s[pos] < 0x80) {
            ++pos;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, pos);
        if (length == 0)
            return pos;
        pos += length;
    }
    return n;
}

void append_utf8_lossy(std::string_view bytes, std::string& out) {
    std::size_t pos = 0;
    const std::size_t n = bytes.size();
    while (pos < n) {
        const std::size_t bad = utf8_first_invalid(bytes.substr(pos));
        out.append(bytes.data() + pos, bad);
        pos += bad;
        if (pos >= n)
            break;
        bool complete = false;
        const std::size_t length = valid_prefix(bytes, pos, &complete);
        out.append("\xEF\xBF\xBD");
        pos += length == 0 ? 1 : length;
    }
}

char32_t utf8_decode_at(std::string_view text, std::size_t pos, std::size_t* length) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
    const std::size_t len = utf8_lead_length(s[0]);
    if (length)
        *length = len;
    switch (len) {
        case 1:
            return s[0];
        case 2:
            return (char32_t(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        case 3:
            return (char32_t(s[0] & 0x0F) << 12) | (char32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        default:
            return (char32_t(s[0] & 0x07) << 18) | (char32_t(s[1] & 0x3F) << 12) |
                   (char32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace lathe::core::util
