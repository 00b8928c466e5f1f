#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace lathe::core::safetensors {

// Parses JSON text for the safetensors readers. Unlike plain nlohmann::json::parse it rejects
// duplicate object keys (nlohmann silently keeps the last one, so two tensors with one name would
// shadow each other) and nesting deeper than 128 levels (serde_json's limit, so what Python reads
// we read, and a hostile header cannot make the tree arbitrarily deep). Every failure is an Error
// whose message starts with `where`.
nlohmann::json parse_json_strict(const char* begin, const char* end, const std::string& where);

}  // namespace lathe::core::safetensors
