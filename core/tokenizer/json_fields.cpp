#include "core/tokenizer/json_fields.h"

#include "core/util/error.h"

namespace lathe::core::tokenizer {

namespace {

const char* kind(const nlohmann::json& value) {
    return value.type_name();
}

}  // namespace

JsonFields::JsonFields(const nlohmann::json& node, std::string source, std::string path)
    : node_(node), source_(std::move(source)), path_(std::move(path)) {
    if (!node_.is_object())
        fail("must be an object, not " + std::string(kind(node_)));
}

std::string JsonFields::child_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

bool JsonFields::has(const std::string& key) const {
    const auto it = node_.find(key);
    return it != node_.end() && !it->is_null();
}

const nlohmann::json& JsonFields::required(const std::string& key) const {
    const auto it = node_.find(key);
    if (it == node_.end() || it->is_null())
        fail_field(key, "is missing");
    return *it;
}

JsonFields JsonFields::object(const std::string& key) const {
    return JsonFields(required(key), source_, child_path(key));
}

std::string JsonFields::string(const std::string& key) const {
    const nlohmann::json& value = required(key);
    if (!value.is_string()) {
        fail_field(key, "must be a string, not " + std::string(kind(value)));
    }
    return value.get<std::string>();
}

std::optional<std::string> JsonFields::optional_string(const std::string& key) const {
    if (!has(key))
        return std::nullopt;
    return string(key);
}

bool JsonFields::boolean(const std::string& key, bool fallback) const {
    if (!has(key))
        return fallback;
    const nlohmann::json& value = node_.at(key);
    if (!value.is_boolean()) {
        fail_field(key, "must be true or false, not " + std::string(kind(value)));
    }
    return value.get<bool>();
}

std::int64_t JsonFields::integer(const std::string& key) const {
    const nlohmann::json& value = required(key);
    if (!value.is_number_integer()) {
        fail_field(key, "must be an integer, not " + std::string(kind(value)));
    }
    return value.get<std::int64_t>();
}

std::string JsonFields::type() const {
    return string("type");
}

void JsonFields::fail(const std::string& message) const {
    throw Error(source_ + ": " + (path_.empty() ? "top level" : path_) + " " + message);
}

void JsonFields::fail_field(const std::string& key, const std::string& message) const {
    throw Error(source_ + ": " + child_path(key) + " " + message);
}

void JsonFields::unsupported_type(const std::string& type, const std::string& supported) const {
    fail_field("type", "\"" + type + "\" is not supported (supported: " + supported + ")");
}

}  // namespace lathe::core::tokenizer
