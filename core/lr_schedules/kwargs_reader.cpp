#include "core/lr_schedules/kwargs_reader.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/util/error.h"

namespace lathe::core::lr_schedules {

namespace {

const nlohmann::json& empty_object() {
    static const nlohmann::json empty = nlohmann::json::object();
    return empty;
}

std::string shown(const nlohmann::json& value) {
    auto text = value.dump();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

}  // namespace

std::string format_number(double value) {
    return nlohmann::json(value).dump();
}

KwargsReader::KwargsReader(const nlohmann::json& kwargs, std::string owner)
    : kwargs_(kwargs.is_null() ? empty_object() : kwargs), owner_(std::move(owner)) {
    if (!kwargs_.is_object())
        throw Error("lr_scheduler_kwargs must be an object (got " + shown(kwargs) + ")");
}

const nlohmann::json* KwargsReader::find(const std::string& key) {
    accepted_.push_back(key);
    auto it = kwargs_.find(key);
    if (it == kwargs_.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::optional<double> KwargsReader::number(const std::string& key) {
    const auto* value = find(key);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_number())
        throw Error(name(key) + " must be a number (got " + shown(*value) + ")");
    double x = value->get<double>();
    if (!std::isfinite(x))
        throw Error(name(key) + " must be finite");
    return x;
}

std::optional<std::int64_t> KwargsReader::integer(const std::string& key) {
    const auto* value = find(key);
    if (value == nullptr)
        return std::nullopt;
    if (value->is_number_integer())
        return value->get<std::int64_t>();
    if (value->is_number_float()) {
        double x = value->get<double>();
        if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 9.0e15)
            return static_cast<std::int64_t>(x);
    }
    throw Error(name(key) + " must be an integer (got " + shown(*value) + ")");
}

std::optional<bool> KwargsReader::boolean(const std::string& key) {
    const auto* value = find(key);
    if (value == nullptr)
        return std::nullopt;
    if (!value->is_boolean())
        throw Error(name(key) + " must be true or false (got " + shown(*value) + ")");
    return value->get<bool>();
}

std::optional<std::string> KwargsReader::choice(const std::string& key,
                                                const std::vector<std::string>& choices) {
    const auto* value = find(key);
    if (value == nullptr)
        return std::nullopt;
    std::string list;
    for (const auto& c : choices)
        list += (list.empty() ? "\"" : ", \"") + c + "\"";
    if (!value->is_string() ||
        std::find(choices.begin(), choices.end(), value->get<std::string>()) == choices.end())
        throw Error(name(key) + " must be one of " + list + " (got " + shown(*value) + ")");
    return value->get<std::string>();
}

void KwargsReader::finish() const {
    std::string unknown;
    for (const auto& item : kwargs_.items()) {
        if (std::find(accepted_.begin(), accepted_.end(), item.key()) == accepted_.end())
            unknown += (unknown.empty() ? "" : ", ") + name(item.key());
    }
    if (unknown.empty())
        return;
    std::string accepted;
    for (const auto& key : accepted_)
        accepted += (accepted.empty() ? "" : ", ") + key;
    throw Error("unknown " + unknown + " for " + owner_ +
                " (accepted: " + (accepted.empty() ? std::string("none") : accepted) + ")");
}

}  // namespace lathe::core::lr_schedules
