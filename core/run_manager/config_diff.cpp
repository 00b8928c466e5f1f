#include "core/run_manager/config_diff.h"

#include <set>
#include <string>

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

}  // namespace lathe::core::run_manager
