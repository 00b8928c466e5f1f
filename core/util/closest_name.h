#pragma once

#include <string>
#include <vector>

namespace lathe::core::util {

// The candidate closest to `name` by edit distance, or "" when none is within a third of its
// length: for "did you mean ...?" in error messages.
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace lathe::core::util
