#include "core/lr_schedules/scheduler_type.h"

#include <cstddef>

#include "core/util/error.h"

namespace lathe::core::lr_schedules {

const std::vector<std::string>& scheduler_type_names() {
    static const std::vector<std::string> names = {
        "linear",
        "cosine",
        "cosine_with_restarts",
        "polynomial",
        "constant",
        "constant_with_warmup",
        "inverse_sqrt",
        "reduce_lr_on_plateau",
        "cosine_with_min_lr",
        "warmup_stable_decay",
    };
    return names;
}

const std::string& scheduler_type_name(SchedulerType type) {
    return scheduler_type_names().at(static_cast<std::size_t>(type));
}

SchedulerType parse_scheduler_type(const std::string& name) {
    const auto& names = scheduler_type_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name)
            return static_cast<SchedulerType>(i);
    }
    std::string choices;
    for (const auto& n : names)
        choices += (choices.empty() ? "" : ", ") + n;
    // Newer Transformers schedulers get a clearer message than "unknown".
    if (name == "cosine_warmup_with_min_lr" || name == "greedy") {
        throw Error("lr_scheduler_type \"" + name +
                    "\" is a Transformers scheduler that Lathe does not implement (choices: " +
                    choices + ")");
    }
    throw Error("lr_scheduler_type \"" + name + "\" is not a scheduler type (choices: " + choices +
                ")");
}

}  // namespace lathe::core::lr_schedules
