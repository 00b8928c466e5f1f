#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::tests {

// tests/fixtures/tokenizer/cases.json, written by make_tokenizer_fixtures.py with Python
// tokenizers 0.20.3.
inline const nlohmann::json& tokenizer_cases() {
    static const nlohmann::json cases =
        nlohmann::json::parse(core::util::read_file(fixture("tokenizer/cases.json")));
    return cases;
}

inline std::vector<std::string> hard_texts() {
    return tokenizer_cases()["texts"].get<std::vector<std::string>>();
}

inline std::vector<std::string> base_tokenizer_names() {
    std::vector<std::string> names;
    for (const auto& [name, entry] : tokenizer_cases()["tokenizers"].items())
        names.push_back(name);
    return names;
}

inline std::string tokenizer_fixture(const std::string& name) {
    return fixture("tokenizer/" + tokenizer_cases()["tokenizers"][name]["file"].get<std::string>());
}

}  // namespace lathe::tests
