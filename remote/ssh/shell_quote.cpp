#include "remote/ssh/shell_quote.h"

#include "core/util/error.h"

namespace lathe::remote::ssh {

std::string shell_quote(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out += '\'';
    for (char c : value) {
        if (c == '\0') {
            throw core::Error(
                "a remote command argument holds a NUL byte: no program can receive it");
        }
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string shell_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += shell_quote(arg);
    }
    return out;
}

}  // namespace lathe::remote::ssh
