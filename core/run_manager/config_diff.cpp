#include "core/run_manager/config_diff.h"

#include <set>
#include <string>
#include <vector>

using nlohmann::json;

namespace lathe::core::run_manager {

json training_args_diff(const json& before, const json& after) {
    static const std::set<std::string> kIgnored = {"output_dir", "resume_from_checkpoint"};
    std::set<std::string> keys;
    for (const auto& side : {before, after}) {
        if (!side.is_object())
            continue;
        for (auto it = side.begin(); it != side.end(); ++it)
            keys.insert(it.key());
    }
    json diff = json::object();
    for (const auto& key : keys) {
        if (kIgnored.count(key) != 0)
            continue;
        const json from = before.is_object() && before.contains(key) ? before.at(key) : json();
        const json to = after.is_object() && after.contains(key) ? after.at(key) : json();
        if (from != to)
            diff[key] = {{"from", from}, {"to", to}};
    }
    return diff;
}

json run_config_diff(const json& before, const json& after) {
    static const std::set<std::string> kIgnored = {"output_dir", "run_name", "logging_dir"};
    // JSON pointers ("/training_args/learning_rate") of every leaf; an empty object or array
    // is a leaf of its own in flatten().
    const json a = before.is_null() ? json::object() : before.flatten();
    const json b = after.is_null() ? json::object() : after.flatten();
    std::set<std::string> pointers;
    for (const auto& side : {a, b}) {
        for (auto it = side.begin(); it != side.end(); ++it)
            pointers.insert(it.key());
    }
    json diff = json::object();
    for (const auto& pointer : pointers) {
        // The pointer's reference tokens, unescaped by the library, joined with ".".
        std::vector<std::string> tokens;
        for (json::json_pointer p(pointer); !p.empty(); p.pop_back())
            tokens.insert(tokens.begin(), p.back());
        std::string path;
        bool ignored = false;
        for (const auto& token : tokens) {
            ignored = ignored || kIgnored.count(token) != 0;
            path += (path.empty() ? "" : ".") + token;
        }
        const json from = a.contains(pointer) ? a.at(pointer) : json();
        const json to = b.contains(pointer) ? b.at(pointer) : json();
        if (!ignored && from != to)
            diff[path] = {{"from", from}, {"to", to}};
    }
    return diff;
}

}  // namespace lathe::core::run_manager
