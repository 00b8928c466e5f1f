#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lathe::core::tokenizer {

// GPT-2's bytes_to_unicode: every byte becomes one printable character so that BPE never sees
// whitespace or control bytes. Bytes 33-126, 161-172 and 174-255 map to themselves; the other 68
// map, in byte order, to U+0100, U+0101, ... (so the space becomes "Ġ", U+0120).
class ByteLevelTable {
  public:
    static const ByteLevelTable& get();

    // The character of `byte`, UTF-8 encoded (1 or 2 bytes).
    std::string_view encoded(unsigned char byte) const {
        return {encoded_[byte].data(), encoded_length_[byte]};
    }
    // The byte a character stands for, or -1 when it is not one of the 256 characters.
    int byte_of(char32_t code_point) const {
        return code_point < decoded_.size() ? decoded_[code_point] : -1;
    }

  private:
    ByteLevelTable();
    std::array<std::array<char, 2>, 256> encoded_{};
    std::array<std::uint8_t, 256> encoded_length_{};
    std::array<std::int16_t, 324> decoded_{};
};

// Appends the byte-level characters of every byte of `bytes`.
void byte_level_encode(std::string_view bytes, std::string& out);
// Writes them to `out`, which has room for 2 * bytes.size(); returns the length written.
std::size_t byte_level_encode(std::string_view bytes, char* out);

// Appends the bytes the characters of `token` stand for and returns true; returns false (and
// appends nothing) when a character is not a byte-level one, as tokenizers' ByteLevel decoder
// then keeps the token's own UTF-8 bytes.
bool byte_level_decode(std::string_view token, std::string& out);

}  // namespace lathe::core::tokenizer
