#pragma once

#include <cstdint>

#include "core/training_args/training_arguments.h"

namespace lathe::core::training_args {

// The values Transformers' TrainingArguments.__post_init__ derives (v5), filled in:
//  - eval_steps = logging_steps when eval_strategy is "steps" and eval_steps is null or 0;
//  - metric_for_best_model = "loss" when load_best_model_at_end or lr_scheduler_type is
//    "reduce_lr_on_plateau" and it is null;
//  - greater_is_better = !metric_for_best_model.ends_with("loss") when null and a metric is set;
//  - do_eval = true when eval_strategy is not "no".
// data_seed and run_name stay null as in v5 (the trainer falls back to seed).
TrainingArguments resolved(const TrainingArguments& args);

// Transformers' rules (TrainingArguments._validate_args, Trainer.__init__) plus value ranges,
// checked on resolved(args). Throws Error naming the field(s) on the first broken rule:
//  - choices of optim, lr_scheduler_type and the strategies; lr_scheduler_kwargs fit
//    lr_scheduler_type (lr_schedules::validate_kwargs);
//  - ranges: batch sizes and gradient_accumulation_steps >= 1, learning_rate, weight_decay,
//    adam_epsilon, max_grad_norm, warmup_steps, eval_delay, save_total_limit,
//    neftune_noise_alpha >= 0, betas and label_smoothing_factor in [0, 1), seeds in
//    [0, 2^32 - 1], max_steps >= -1, num_train_epochs > 0 unless max_steps > 0;
//  - logging/eval/save steps > 0 for the "steps" strategy, and integers when bigger than 1;
//  - eval_strategy "steps" needs eval_steps or logging_steps > 0;
//  - fp16 and bf16 not both;
//  - load_best_model_at_end with save_strategy != "best": eval_strategy == save_strategy and,
//    for "steps", save_steps a multiple of eval_steps (ratios only with ratios);
//  - save_strategy "best" (or load_best_model_at_end) needs metric_for_best_model;
//  - lr_scheduler_type "reduce_lr_on_plateau" needs eval_strategy != "no";
//  - optim_args is "key=value" pairs separated by commas.
void validate(const TrainingArguments& args);

// A steps option (logging/eval/save steps, warmup_steps) in optimizer steps for a run of
// max_steps: ceil(max_steps * x) when x < 1, else int(x) (Trainer and get_warmup_steps).
std::int64_t absolute_steps(double steps_or_ratio, std::int64_t max_steps);

}  // namespace lathe::core::training_args
