#include "core/data/utf8.h"

#include <algorithm>
#include <cstdint>

#include "core/util/utf8.h"

namespace lathe::core::data {

std::optional<std::size_t> find_invalid_utf8(std::string_view bytes) {
    const std::size_t first = util::utf8_first_invalid(bytes);
    if (first == bytes.size())
        return std::nullopt;
    return first;
}

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace lathe::core::data
