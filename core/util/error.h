#pragma once

#include <stdexcept>
#include <string>

namespace lathe::core {

// The one exception type the engine throws for bad input or failed I/O. The message always names
// what was wrong and where (file, field, line, tensor) so that callers can show it unchanged.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lathe::core
