#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lathe::core::util {

// SHA-256 of bytes fed in pieces, for data hashed as it streams past (downloads).
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t bytes);
    std::string hex();  // lower-case; ends the computation

  private:
    struct Impl;
    Impl* impl_;
};

// Lower-case hex SHA-256 (OpenSSL's implementation).
std::string sha256_hex(std::string_view bytes);
std::string sha256_file_hex(const std::string& path);

}  // namespace lathe::core::util
