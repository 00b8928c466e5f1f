#pragma once

#include <string>
#include <vector>

namespace lathe::ui::run_form {

// The names from `names` that `message` mentions as whole words ("seed" is not found inside
// "data_seed"), in the order of `names`. The engine's errors name the offending fields, so this
// is how the form knows which editors to mark without a second copy of the rules.
std::vector<std::string> field_names_in_message(const std::string& message,
                                                const std::vector<std::string>& names);

}  // namespace lathe::ui::run_form
