#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace lathe::core::tokenizer {

// Reads fields of tokenizer.json components; every Error names the source file and the JSON path
// (e.g. `tokenizer.json: pre_tokenizer.pretokenizers[1].behavior ...`).
class JsonFields {
  public:
    JsonFields(const nlohmann::json& node, std::string source, std::string path);

    const nlohmann::json& node() const { return node_; }
    const std::string& path() const { return path_; }
    const std::string& source() const { return source_; }
    std::string child_path(const std::string& key) const;

    bool has(const std::string& key) const;  // present and not null
    const nlohmann::json& required(const std::string& key) const;
    JsonFields object(const std::string& key) const;  // required, must be an object
    std::string string(const std::string& key) const;
    std::optional<std::string> optional_string(const std::string& key) const;
    bool boolean(const std::string& key, bool fallback) const;
    std::int64_t integer(const std::string& key) const;

    // The "type" field; throws naming the path when it is missing.
    std::string type() const;

    [[noreturn]] void fail(const std::string& message) const;
    [[noreturn]] void fail_field(const std::string& key, const std::string& message) const;
    // `<path>.type "X" is not supported (supported: A, B)`
    [[noreturn]] void unsupported_type(const std::string& type, const std::string& supported) const;

  private:
    const nlohmann::json& node_;
    std::string source_;
    std::string path_;
};

}  // namespace lathe::core::tokenizer
