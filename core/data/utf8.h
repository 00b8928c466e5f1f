#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lathe::core::data {

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF count as ill-formed), or nullopt when all is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view bytes);

// 1-based line number of `offset` in `text` (newlines before it, plus one).
std::size_t line_of_offset(std::string_view text, std::size_t offset);

}  // namespace lathe::core::data
