#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lathe::core::util {

// Length in bytes of the well-formed UTF-8 sequence starting at `pos`, or 0 when the bytes there
// are not one (overlong forms, surrogates and code points above U+10FFFF are ill-formed).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Offset of the first ill-formed byte, or text.size() when the whole text is valid UTF-8.
std::size_t utf8_first_invalid(std::string_view text);

inline bool is_valid_utf8(std::string_view text) {
    return utf8_first_invalid(text) == text.size();
}

// Appends `bytes` to `out` with every maximal ill-formed subsequence replaced by one U+FFFD, as
// Rust's String::from_utf8_lossy (and so Python tokenizers' decode) does.
void append_utf8_lossy(std::string_view bytes, std::string& out);

// Decodes the code point of the well-formed sequence at `pos` (caller checked validity).
char32_t utf8_decode_at(std::string_view text, std::size_t pos, std::size_t* length);

void append_utf8(char32_t code_point, std::string& out);

// Length of the character whose (valid) lead byte is `lead`.
inline std::size_t utf8_lead_length(unsigned char lead) {
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace lathe::core::util
