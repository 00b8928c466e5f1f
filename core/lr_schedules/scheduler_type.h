#pragma once

#include <string>
#include <vector>

namespace lathe::core::lr_schedules {

// Transformers' SchedulerType values that Lathe implements (trainer_utils.SchedulerType).
enum class SchedulerType {
    Linear,
    Cosine,
    CosineWithRestarts,
    Polynomial,
    Constant,
    ConstantWithWarmup,
    InverseSqrt,
    ReduceLrOnPlateau,
    CosineWithMinLr,
    WarmupStableDecay,
};

// "linear", "cosine_with_restarts", ... as Transformers spells them. Throws Error listing the
// choices for anything else (and saying so for Transformers schedulers Lathe does not implement).
SchedulerType parse_scheduler_type(const std::string& name);

// The Transformers name of `type`.
const std::string& scheduler_type_name(SchedulerType type);

// Every name parse_scheduler_type accepts, in enum order.
const std::vector<std::string>& scheduler_type_names();

}  // namespace lathe::core::lr_schedules
