#include "core/tokenizer/byte_level.h"

#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

ByteLevelTable::ByteLevelTable() {
    decoded_.fill(-1);
    int next_extra = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        const char32_t cp = printable ? char32_t(b) : char32_t(256 + next_extra++);
        std::string utf8;
        util::append_utf8(cp, utf8);
        encoded_length_[b] = static_cast<std::uint8_t>(utf8.size());
        for (std::size_t i = 0; i < utf8.size(); ++i)
            encoded_[b][i] = utf8[i];
        decoded_[cp] = static_cast<std::int16_t>(b);
    }
}

const ByteLevelTable& ByteLevelTable::get() {
    static const ByteLevelTable table;
    return table;
}

std::size_t byte_level_encode(std::string_view bytes, char* out) {
    const ByteLevelTable& table = ByteLevelTable::get();
    char* p = out;
    for (const char c : bytes) {
        const std::string_view encoded = table.encoded(static_cast<unsigned char>(c));
        p[0] = encoded[0];
        p[1] = encoded.size() > 1 ? encoded[1] : '\0';
        p += encoded.size();
    }
    return static_cast<std::size_t>(p - out);
}

void byte_level_encode(std::string_view bytes, std::string& out) {
    const std::size_t start = out.size();
    out.resize(start + 2 * bytes.size());  // every character is at most two bytes
    out.resize(start + byte_level_encode(bytes, out.data() + start));
}

bool byte_level_decode(std::string_view token, std::string& out) {
    const ByteLevelTable& table = ByteLevelTable::get();
    const std::size_t start = out.size();
    std::size_t pos = 0;
    while (pos < token.size()) {
        std::size_t length = 0;
        const int byte = table.byte_of(util::utf8_decode_at(token, pos, &length));
        if (byte < 0) {
            out.resize(start);
            return false;
        }
        out.push_back(static_cast<char>(byte));
        pos += length;
    }
    return true;
}

}  // namespace lathe::core::tokenizer
