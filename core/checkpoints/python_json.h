#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lathe::core::checkpoints {

// Python's json.dumps(value, indent=indent, sort_keys=True) byte for byte, so that files written
// for Transformers (trainer_state.json) are the files Transformers itself writes: floats as
// Python's repr (2.0, 1e-05, 1.2e+16), ASCII only (\u00e9), NaN/Infinity/-Infinity for
// non-finite floats, ", " and ": " separators without indent (indent < 0) and "," with it.
// Invalid UTF-8 in strings is written as U+FFFD.
std::string python_json_dumps(const nlohmann::json& value, int indent);

// Parses JSON as Python's json.loads does: also the NaN, Infinity and -Infinity that Python
// writes for non-finite floats (a grad_norm of inf in fp16 runs, say). Throws Error naming
// `source`, the line and the column.
nlohmann::json python_json_loads(const std::string& text, const std::string& source);

}  // namespace lathe::core::checkpoints
