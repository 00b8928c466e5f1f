#pragma once

#include <string>
#include <string_view>

namespace lathe::core::util {

// Lower-case hex SHA-256 (OpenSSL's implementation).
std::string sha256_hex(std::string_view bytes);
std::string sha256_file_hex(const std::string& path);

}  // namespace lathe::core::util
