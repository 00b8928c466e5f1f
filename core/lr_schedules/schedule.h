#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/lr_schedules/scheduler_type.h"

namespace lathe::core::lr_schedules {

// One LambdaLR-style schedule as the Trainer builds it: transformers.get_scheduler(type,
// optimizer, num_warmup_steps, num_training_steps, scheduler_specific_kwargs).
struct ScheduleSpec {
    SchedulerType type = SchedulerType::Linear;
    std::int64_t warmup_steps = 0;
    std::int64_t total_steps = 0;
    // The optimizer's initial lr: polynomial (lr_end / base_lr) and cosine_with_min_lr
    // (min_lr / base_lr) depend on it.
    double base_lr = 5e-5;
    // TrainingArguments.lr_scheduler_kwargs; null counts as {}.
    nlohmann::json kwargs = nlohmann::json::object();
};

// Checks kwargs (names, types, values) for `type` alone, without step counts, so that a run
// config fails when it is read rather than when training starts. Messages name
// "lr_scheduler_kwargs.<key>".
void validate_kwargs(SchedulerType type, const nlohmann::json& kwargs, double base_lr);

// validate_kwargs plus the checks that need warmup_steps and total_steps.
void validate(const ScheduleSpec& spec);

// λ(step) exactly as transformers.optimization's lambdas (4.46.3; warmup_stable_decay and
// inverse_sqrt's timescale as in v5): lr = base_lr * λ(step), step = optimizer steps so far.
// Validates `spec` (cheap) and throws Error for reduce_lr_on_plateau, which has no step schedule
// (use ReduceLrOnPlateau). One deliberate difference: polynomial with step == warmup_steps ==
// total_steps returns lr_end / base_lr where Transformers divides by zero.
double lr_multiplier(const ScheduleSpec& spec, std::int64_t step);

// base_lr * lr_multiplier(spec, step): the rate LambdaLR puts into the optimizer.
inline double learning_rate(const ScheduleSpec& spec, std::int64_t step) {
    return spec.base_lr * lr_multiplier(spec, step);
}

}  // namespace lathe::core::lr_schedules
