#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::training_args {

// resume_from_checkpoint: null (start fresh), a bool (true: the newest checkpoint-* in output_dir),
// or a checkpoint folder.
using StringOrBool = std::variant<std::monostate, bool, std::string>;

// Transformers' TrainingArguments (v5 names, types and defaults) for the options Lathe implements.
// A plain struct: every member has Transformers' default, null-able options are std::optional.
// The schema in schema.h describes every member (type, choices, group, help); parse.h reads it
// from JSON and command lines, validate.h checks it and fills in derived defaults.
//
// "steps" options (logging_steps, eval_steps, save_steps) and warmup_steps are doubles as in v5:
// an integer, or a ratio of the total steps when < 1.
struct TrainingArguments {
    // basics
    std::string output_dir = "trainer_output";
    std::optional<std::string> run_name;
    bool do_train = false;
    bool do_eval = false;
    double num_train_epochs = 3.0;
    std::int64_t max_steps = -1;
    std::int64_t per_device_train_batch_size = 8;
    std::int64_t per_device_eval_batch_size = 8;
    std::int64_t seed = 42;
    std::optional<std::int64_t> data_seed;
    std::vector<std::string> report_to;  // empty: "none"

    // optimisation
    std::int64_t gradient_accumulation_steps = 1;
    double learning_rate = 5e-5;
    double weight_decay = 0.0;
    double adam_beta1 = 0.9;
    double adam_beta2 = 0.999;
    double adam_epsilon = 1e-8;
    double max_grad_norm = 1.0;
    std::string optim = "adamw_torch";
    std::optional<std::string> optim_args;
    double label_smoothing_factor = 0.0;
    std::optional<double> neftune_noise_alpha;

    // schedule
    std::string lr_scheduler_type = "linear";
    nlohmann::json lr_scheduler_kwargs = nlohmann::json::object();
    double warmup_steps = 0;

    // evaluation and saving
    std::string logging_strategy = "steps";
    double logging_steps = 500;
    bool logging_first_step = false;
    bool logging_nan_inf_filter = true;
    std::string eval_strategy = "no";
    std::optional<double> eval_steps;
    double eval_delay = 0;
    bool eval_on_start = false;
    std::string save_strategy = "steps";
    double save_steps = 500;
    std::optional<std::int64_t> save_total_limit;
    bool save_only_model = false;
    bool load_best_model_at_end = false;
    std::optional<std::string> metric_for_best_model;
    std::optional<bool> greater_is_better;

    // precision
    bool bf16 = false;
    bool fp16 = false;
    std::optional<bool> tf32;

    // advanced
    bool gradient_checkpointing = false;
    bool use_cpu = false;  // train on the CPU even where CUDA devices are visible
    bool dataloader_drop_last = false;
    bool ignore_data_skip = false;
    bool restore_callback_states_from_checkpoint = false;
    StringOrBool resume_from_checkpoint;
    // Lathe only (not a Transformers option): stop with an error at the first NaN/Inf training
    // loss instead of training on.
    bool stop_on_non_finite_loss = false;

    // data parallelism (docs/distributed.md)
    std::int64_t ddp_timeout = 1800;                // seconds a collective may wait for a peer
    std::optional<std::int64_t> ddp_bucket_cap_mb;  // null: 25, as DDP

    // Every field under its Transformers name, as TrainingArguments.to_json_string writes it
    // (steps fields as integers when they are whole numbers, nulls as null, report_to a list).
    nlohmann::json to_json() const;
};

}  // namespace lathe::core::training_args
