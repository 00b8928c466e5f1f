#include "ui/run_form/field_names_in_message.h"

#include <cctype>

namespace lathe::ui::run_form {

namespace {

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

bool mentions(const std::string& message, const std::string& name) {
    for (auto pos = message.find(name); pos != std::string::npos;
         pos = message.find(name, pos + 1)) {
        const bool starts = pos == 0 || !is_word_char(message[pos - 1]);
        const auto end = pos + name.size();
        const bool ends = end == message.size() || !is_word_char(message[end]);
        if (starts && ends)
            return true;
    }
    return false;
}

}  // namespace

std::vector<std::string> field_names_in_message(const std::string& message,
                                                const std::vector<std::string>& names) {
    std::vector<std::string> found;
    for (const auto& name : names) {
        if (mentions(message, name))
            found.push_back(name);
    }
    return found;
}

}  // namespace lathe::ui::run_form
