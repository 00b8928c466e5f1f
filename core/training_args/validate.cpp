#include "core/training_args/validate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/lr_schedules/schedule.h"
#include "core/lr_schedules/scheduler_type.h"
#include "core/training_args/schema.h"
#include "core/util/error.h"

namespace lathe::core::training_args {

namespace {

// Whole numbers without ".0" (steps, sizes); others as Python's repr.
std::string num(double x) {
    if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15)
        return std::to_string(static_cast<std::int64_t>(x));
    return nlohmann::json(x).dump();
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_choice(const std::string& name, const std::string& value) {
    const auto* spec = find_field(name);
    if (std::find(spec->choices.begin(), spec->choices.end(), value) != spec->choices.end())
        return;
    std::string list;
    for (const auto& c : spec->choices)
        list += (list.empty() ? "" : ", ") + c;
    throw Error(name + " \"" + value + "\" is not one of: " + list);
}

void at_least(const std::string& name, double value, double low) {
    if (!std::isfinite(value) || value < low)
        throw Error(name + " must be >= " + num(low) + " (got " + num(value) + ")");
}

void in_unit_interval(const std::string& name, double value) {
    if (!std::isfinite(value) || value < 0 || value >= 1)
        throw Error(name + " must be in [0, 1) (got " + num(value) + ")");
}

void seed_range(const std::string& name, std::int64_t seed) {
    if (seed < 0 || seed > 4294967295LL)
        throw Error(name + " must be in [0, 2^32 - 1] (got " + std::to_string(seed) +
                    "); numpy's seed has that range");
}

// logging/eval/save steps: > 0 under the "steps" strategy, an integer when bigger than 1.
void steps_option(const std::string& name, double steps, const std::string& strategy_name) {
    if (!(steps > 0))
        throw Error(name + " must be > 0 when " + strategy_name + " is \"steps\" (got " +
                    num(steps) + ")");
    if (steps > 1 && steps != std::floor(steps))
        throw Error(name + " must be an integer if bigger than 1 (got " + num(steps) + ")");
}

void check_load_best(const TrainingArguments& a) {
    if (!a.load_best_model_at_end || a.save_strategy == "best")
        return;
    if (a.eval_strategy != a.save_strategy)
        throw Error(
            "load_best_model_at_end needs eval_strategy and save_strategy to match (unless "
            "save_strategy is \"best\"), but eval_strategy is \"" +
            a.eval_strategy + "\" and save_strategy is \"" + a.save_strategy + "\"");
    if (a.eval_strategy != "steps")
        return;
    const double eval = *a.eval_steps;
    const double save = a.save_steps;
    if (std::fmod(save, eval) == 0)
        return;
    if (eval < 1 || save < 1) {
        if (!(eval < 1 && save < 1))
            throw Error(
                "load_best_model_at_end needs save_steps to be a multiple of eval_steps, which "
                "cannot be guaranteed when one is a ratio and the other a step count (save_steps " +
                num(save) + ", eval_steps " + num(eval) + ")");
        // Transformers compares ratios scaled by 1e6 to dodge floating-point error.
        if (std::fmod(save * 1000000, eval * 1000000) != 0)
            throw Error("load_best_model_at_end needs save_steps (" + num(save) +
                        ") to be a multiple of eval_steps (" + num(eval) + ")");
        return;
    }
    throw Error("load_best_model_at_end needs save_steps (" + num(save) +
                ") to be a round multiple of eval_steps (" + num(eval) + ")");
}

void check_optim_args(const std::optional<std::string>& optim_args) {
    if (!optim_args || optim_args->empty())
        return;
    std::size_t start = 0;
    while (start <= optim_args->size()) {
        auto comma = optim_args->find(',', start);
        if (comma == std::string::npos)
            comma = optim_args->size();
        auto pair = optim_args->substr(start, comma - start);
        auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Error("optim_args must be \"key=value\" pairs separated by commas (got \"" +
                        *optim_args + "\")");
        start = comma + 1;
    }
}

}  // namespace

TrainingArguments resolved(const TrainingArguments& args) {
    TrainingArguments r = args;
    if (r.eval_strategy != "no")
        r.do_eval = true;
    if (r.eval_strategy == "steps" && (!r.eval_steps || *r.eval_steps == 0) && r.logging_steps > 0)
        r.eval_steps = r.logging_steps;
    if ((r.load_best_model_at_end || r.lr_scheduler_type == "reduce_lr_on_plateau") &&
        !r.metric_for_best_model)
        r.metric_for_best_model = "loss";
    if (!r.greater_is_better && r.metric_for_best_model)
        r.greater_is_better = !ends_with(*r.metric_for_best_model, "loss");
    return r;
}

void validate(const TrainingArguments& args) {
    const TrainingArguments a = resolved(args);

    if (a.output_dir.empty())
        throw Error("output_dir must not be empty");
    check_choice("optim", a.optim);
    check_choice("lr_scheduler_type", a.lr_scheduler_type);
    check_choice("logging_strategy", a.logging_strategy);
    check_choice("eval_strategy", a.eval_strategy);
    check_choice("save_strategy", a.save_strategy);

    at_least("per_device_train_batch_size", static_cast<double>(a.per_device_train_batch_size), 1);
    at_least("per_device_eval_batch_size", static_cast<double>(a.per_device_eval_batch_size), 1);
    at_least("gradient_accumulation_steps", static_cast<double>(a.gradient_accumulation_steps), 1);
    if (a.max_steps < -1)
        throw Error("max_steps must be -1 (train for num_train_epochs) or a number of steps (got " +
                    std::to_string(a.max_steps) + ")");
    if (!std::isfinite(a.num_train_epochs) || a.num_train_epochs < 0 ||
        (a.max_steps <= 0 && a.num_train_epochs == 0))
        throw Error("num_train_epochs must be > 0 when max_steps is not set (got " +
                    num(a.num_train_epochs) + ")");
    at_least("learning_rate", a.learning_rate, 0);
    at_least("weight_decay", a.weight_decay, 0);
    in_unit_interval("adam_beta1", a.adam_beta1);
    in_unit_interval("adam_beta2", a.adam_beta2);
    at_least("adam_epsilon", a.adam_epsilon, 0);
    if (!std::isfinite(a.max_grad_norm) || a.max_grad_norm < 0)
        throw Error("max_grad_norm must be >= 0; 0 disables clipping (got " + num(a.max_grad_norm) +
                    ")");
    in_unit_interval("label_smoothing_factor", a.label_smoothing_factor);
    if (a.neftune_noise_alpha)
        at_least("neftune_noise_alpha", *a.neftune_noise_alpha, 0);
    at_least("warmup_steps", a.warmup_steps, 0);
    at_least("eval_delay", a.eval_delay, 0);
    if (a.save_total_limit)
        at_least("save_total_limit", static_cast<double>(*a.save_total_limit), 0);
    seed_range("seed", a.seed);
    if (a.ddp_timeout <= 0)
        throw Error("ddp_timeout must be > 0 seconds (got " + std::to_string(a.ddp_timeout) + ")");
    if (a.ddp_bucket_cap_mb && *a.ddp_bucket_cap_mb <= 0)
        throw Error("ddp_bucket_cap_mb must be > 0 (got " + std::to_string(*a.ddp_bucket_cap_mb) +
                    ")");
    if (a.data_seed)
        seed_range("data_seed", *a.data_seed);
    if (const auto* path = std::get_if<std::string>(&a.resume_from_checkpoint);
        path && path->empty())
        throw Error(
            "resume_from_checkpoint must be a checkpoint folder, true, false or null (got \"\")");

    lr_schedules::validate_kwargs(lr_schedules::parse_scheduler_type(a.lr_scheduler_type),
                                  a.lr_scheduler_kwargs, a.learning_rate);

    if (a.logging_strategy == "steps")
        steps_option("logging_steps", a.logging_steps, "logging_strategy");
    else
        at_least("logging_steps", a.logging_steps, 0);
    if (a.eval_strategy == "steps") {
        if (!a.eval_steps)
            throw Error("eval_strategy \"steps\" needs eval_steps or logging_steps > 0");
        steps_option("eval_steps", *a.eval_steps, "eval_strategy");
    } else if (a.eval_steps) {
        at_least("eval_steps", *a.eval_steps, 0);
    }
    if (a.save_strategy == "steps")
        steps_option("save_steps", a.save_steps, "save_strategy");
    else
        at_least("save_steps", a.save_steps, 0);

    if (a.fp16 && a.bf16)
        throw Error("fp16 and bf16 are both true; at most one of them can be set");
    check_load_best(a);
    if ((a.save_strategy == "best" || a.load_best_model_at_end) && !a.metric_for_best_model)
        throw Error("save_strategy \"best\" needs metric_for_best_model");
    if (a.lr_scheduler_type == "reduce_lr_on_plateau" && a.eval_strategy == "no")
        throw Error(
            "lr_scheduler_type \"reduce_lr_on_plateau\" needs an eval_strategy (it steps on the "
            "eval metric), but eval_strategy is \"no\"");
    check_optim_args(a.optim_args);
}

std::int64_t absolute_steps(double steps_or_ratio, std::int64_t max_steps) {
    if (steps_or_ratio < 1)
        return static_cast<std::int64_t>(
            std::ceil(static_cast<double>(max_steps) * steps_or_ratio));
    return static_cast<std::int64_t>(steps_or_ratio);
}

}  // namespace lathe::core::training_args
