#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lathe::remote::ssh {

// The one way a value becomes part of a remote command line. POSIX sh single quotes: every byte
// stands for itself inside '...', so spaces, quotes, $(...), backticks, newlines, semicolons and
// non-ASCII bytes reach the program verbatim; a ' is written as '\''. Empty gives ''.
// Throws core::Error for a NUL byte, which no argv element can hold.
std::string shell_quote(std::string_view value);

// Each argument quoted, joined by spaces: one argv for `sh -c`.
std::string shell_command(const std::vector<std::string>& argv);

}  // namespace lathe::remote::ssh
