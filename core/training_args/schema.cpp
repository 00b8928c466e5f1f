#include "core/training_args/schema.h"

#include <algorithm>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/lr_schedules/scheduler_type.h"
#include "core/training_args/fields.h"

namespace lathe::core::training_args {

namespace detail {

namespace {

const std::vector<std::string>& strategy_choices() {
    static const std::vector<std::string> choices = {"no", "steps", "epoch"};
    return choices;
}

template <typename T>
Field supported(const char* name, FieldType type, T Args::*member, const char* group,
                const char* help, std::vector<std::string> choices = {}) {
    Field field;
    field.spec.name = name;
    field.spec.type = type;
    field.spec.group = group;
    field.spec.help = help;
    field.spec.choices = std::move(choices);
    field.member = Member(member);
    return field;
}

// inert: JSON array of the values that leave Transformers' behaviour unchanged (defaults).
Field unsupported(const char* name, const char* inert) {
    Field field;
    field.spec.name = name;
    field.spec.type = FieldType::Json;
    field.spec.group = "advanced";
    field.spec.help = "Transformers option that Lathe does not implement (ignored with a warning)";
    field.spec.supported = false;
    field.spec.nullable = true;
    for (const auto& value : nlohmann::json::parse(inert))
        field.inert_values.push_back(value);
    field.spec.default_value = field.inert_values.front();
    return field;
}

std::vector<Field> build() {
    using T = FieldType;
    std::vector<Field> f = {
        // basics
        supported("output_dir", T::String, &Args::output_dir, "basics",
                  "Folder for checkpoints, logs and the final model."),
        supported("run_name", T::String, &Args::run_name, "basics",
                  "Optional name of the run, shown in logs and reports."),
        supported("do_train", T::Bool, &Args::do_train, "basics",
                  "Whether to train (read by scripts, not by the Trainer)."),
        supported("do_eval", T::Bool, &Args::do_eval, "basics",
                  "Whether to evaluate; set to true when eval_strategy is not \"no\"."),
        supported("num_train_epochs", T::Float, &Args::num_train_epochs, "basics",
                  "Number of epochs; a fraction runs part of the last epoch."),
        supported("max_steps", T::Int, &Args::max_steps, "basics",
                  "Total optimizer steps; a value > 0 overrides num_train_epochs."),
        supported("per_device_train_batch_size", T::Int, &Args::per_device_train_batch_size,
                  "basics", "Training batch size per device."),
        supported("per_device_eval_batch_size", T::Int, &Args::per_device_eval_batch_size, "basics",
                  "Evaluation batch size per device."),
        supported("seed", T::Int, &Args::seed, "basics",
                  "Random seed set at the start of training (model init, dropout, sampling)."),
        supported("data_seed", T::Int, &Args::data_seed, "basics",
                  "Seed of the data sampler; null uses seed."),
        supported("report_to", T::StringList, &Args::report_to, "basics",
                  "Integrations to report metrics to; \"none\" or [] for none."),
        // optimisation
        supported("gradient_accumulation_steps", T::Int, &Args::gradient_accumulation_steps,
                  "optimisation", "Micro-batches whose gradients are summed per optimizer step."),
        supported("learning_rate", T::Float, &Args::learning_rate, "optimisation",
                  "Initial (peak) learning rate of the optimizer."),
        supported("weight_decay", T::Float, &Args::weight_decay, "optimisation",
                  "Weight decay, not applied to biases and normalization weights."),
        supported("adam_beta1", T::Float, &Args::adam_beta1, "optimisation",
                  "AdamW beta1 (first-moment decay)."),
        supported("adam_beta2", T::Float, &Args::adam_beta2, "optimisation",
                  "AdamW beta2 (second-moment decay)."),
        supported("adam_epsilon", T::Float, &Args::adam_epsilon, "optimisation",
                  "AdamW epsilon added to the denominator."),
        supported("max_grad_norm", T::Float, &Args::max_grad_norm, "optimisation",
                  "Clip the global gradient norm to this value; 0 disables clipping."),
        supported("optim", T::String, &Args::optim, "optimisation", "Optimizer.",
                  {"adamw_torch", "adamw_torch_fused", "sgd", "adafactor"}),
        supported("optim_args", T::String, &Args::optim_args, "optimisation",
                  "Extra optimizer arguments as \"key=value,key=value\"."),
        supported("label_smoothing_factor", T::Float, &Args::label_smoothing_factor, "optimisation",
                  "Label smoothing epsilon in [0, 1); 0 disables it."),
        supported("neftune_noise_alpha", T::Float, &Args::neftune_noise_alpha, "optimisation",
                  "NEFTune embedding noise alpha; null disables it."),
        // schedule
        supported("lr_scheduler_type", T::String, &Args::lr_scheduler_type, "schedule",
                  "Learning-rate schedule.", lr_schedules::scheduler_type_names()),
        supported(
            "lr_scheduler_kwargs", T::Json, &Args::lr_scheduler_kwargs, "schedule",
            "Extra arguments of the schedule, e.g. {\"num_cycles\": 1} or {\"min_lr\": 1e-6}."),
        supported("warmup_steps", T::IntOrFloat, &Args::warmup_steps, "schedule",
                  "Linear warmup steps, or a ratio of the total steps when < 1."),
        // evaluation and saving
        supported("logging_strategy", T::String, &Args::logging_strategy, "evaluation_and_saving",
                  "When to log training metrics.", strategy_choices()),
        supported("logging_steps", T::IntOrFloat, &Args::logging_steps, "evaluation_and_saving",
                  "Log every N steps, or a ratio of the total steps when < 1."),
        supported("logging_first_step", T::Bool, &Args::logging_first_step, "evaluation_and_saving",
                  "Also log after the first step."),
        supported("logging_nan_inf_filter", T::Bool, &Args::logging_nan_inf_filter,
                  "evaluation_and_saving",
                  "Leave NaN/Inf losses out of the logged average (training is unaffected)."),
        supported("eval_strategy", T::String, &Args::eval_strategy, "evaluation_and_saving",
                  "When to evaluate.", strategy_choices()),
        supported("eval_steps", T::IntOrFloat, &Args::eval_steps, "evaluation_and_saving",
                  "Evaluate every N steps (ratio when < 1); null uses logging_steps."),
        supported("eval_delay", T::Float, &Args::eval_delay, "evaluation_and_saving",
                  "Epochs or steps to wait before the first evaluation."),
        supported("eval_on_start", T::Bool, &Args::eval_on_start, "evaluation_and_saving",
                  "Evaluate once before training as a sanity check."),
        supported("save_strategy", T::String, &Args::save_strategy, "evaluation_and_saving",
                  "When to save checkpoints; \"best\" saves when the metric improves.",
                  {"no", "steps", "epoch", "best"}),
        supported("save_steps", T::IntOrFloat, &Args::save_steps, "evaluation_and_saving",
                  "Save every N steps, or a ratio of the total steps when < 1."),
        supported("save_total_limit", T::Int, &Args::save_total_limit, "evaluation_and_saving",
                  "Keep at most this many checkpoints (the best is kept too); null keeps all."),
        supported("save_only_model", T::Bool, &Args::save_only_model, "evaluation_and_saving",
                  "Save weights only, without optimizer, scheduler and RNG state (no resume)."),
        supported("load_best_model_at_end", T::Bool, &Args::load_best_model_at_end,
                  "evaluation_and_saving", "Load the best checkpoint when training ends."),
        supported("metric_for_best_model", T::String, &Args::metric_for_best_model,
                  "evaluation_and_saving",
                  "Eval metric that ranks checkpoints; defaults to \"loss\" when needed."),
        supported("greater_is_better", T::OptionalBool, &Args::greater_is_better,
                  "evaluation_and_saving",
                  "Whether a larger metric is better; null: false for metrics ending in \"loss\"."),
        // precision
        supported("bf16", T::Bool, &Args::bf16, "precision", "bfloat16 mixed precision."),
        supported("fp16", T::Bool, &Args::fp16, "precision",
                  "float16 mixed precision with loss scaling."),
        supported("tf32", T::OptionalBool, &Args::tf32, "precision",
                  "TF32 matmuls on Ampere or newer GPUs; null leaves the default."),
        // advanced
        supported("gradient_checkpointing", T::Bool, &Args::gradient_checkpointing, "advanced",
                  "Recompute activations in the backward pass to save memory."),
        supported("use_cpu", T::Bool, &Args::use_cpu, "advanced",
                  "Train on the CPU even where CUDA devices are visible."),
        supported("dataloader_drop_last", T::Bool, &Args::dataloader_drop_last, "advanced",
                  "Drop the last incomplete training batch of each epoch."),
        supported("ignore_data_skip", T::Bool, &Args::ignore_data_skip, "advanced",
                  "On resume, do not skip the batches already seen in the current epoch."),
        supported("restore_callback_states_from_checkpoint", T::Bool,
                  &Args::restore_callback_states_from_checkpoint, "advanced",
                  "On resume, restore callback states saved in the checkpoint."),
        supported("resume_from_checkpoint", T::StringOrBool, &Args::resume_from_checkpoint,
                  "advanced", "Checkpoint folder to resume from, or true for the newest one."),
        supported("ddp_timeout", T::Int, &Args::ddp_timeout, "advanced",
                  "Seconds a data-parallel collective waits for the other ranks."),
        supported("ddp_bucket_cap_mb", T::Int, &Args::ddp_bucket_cap_mb, "advanced",
                  "Size of the gradient buckets averaged across ranks; null is 25 MB."),
        supported("stop_on_non_finite_loss", T::Bool, &Args::stop_on_non_finite_loss, "advanced",
                  "Lathe only: stop with an error at the first NaN/Inf training loss."),
    };
    const TrainingArguments defaults;
    for (auto& field : f) {
        field.spec.default_value = get(field, defaults);
        std::visit(
            [&](auto member) {
                using M = std::decay_t<decltype(defaults.*member)>;
                field.spec.nullable = std::is_same_v<M, std::optional<bool>> ||
                                      std::is_same_v<M, std::optional<std::int64_t>> ||
                                      std::is_same_v<M, std::optional<double>> ||
                                      std::is_same_v<M, std::optional<std::string>> ||
                                      std::is_same_v<M, StringOrBool>;
            },
            *field.member);
    }

    // Every other key of Transformers' TrainingArguments.to_json_string (4.46.3; then v4.5x and
    // v5 additions) with the values that change nothing.
    const std::vector<std::pair<const char*, const char*>> others = {
        {"overwrite_output_dir", "[false]"},
        {"do_predict", "[false]"},
        {"prediction_loss_only", "[false]"},
        {"per_gpu_train_batch_size", "[null]"},
        {"per_gpu_eval_batch_size", "[null]"},
        {"eval_accumulation_steps", "[null]"},
        {"torch_empty_cache_steps", "[null]"},
        {"log_level", R"(["passive"])"},
        {"log_level_replica", R"(["warning"])"},
        {"log_on_each_node", "[true]"},
        {"logging_dir", "[null]"},  // plus the generated "<output_dir>/runs/<time>_<host>"
        {"save_safetensors", "[true]"},
        {"save_on_each_node", "[false]"},
        {"use_mps_device", "[false]"},
        {"jit_mode_eval", "[false]"},
        {"use_ipex", "[false]"},
        {"fp16_opt_level", R"(["O1"])"},
        {"half_precision_backend", R"(["auto"])"},
        {"bf16_full_eval", "[false]"},
        {"fp16_full_eval", "[false]"},
        {"local_rank", "[-1]"},
        {"ddp_backend", "[null]"},
        {"tpu_num_cores", "[null]"},
        {"tpu_metrics_debug", "[false]"},
        {"debug", R"(["", []])"},
        {"dataloader_num_workers", "[0]"},
        {"dataloader_prefetch_factor", "[null, 2]"},
        {"past_index", "[-1]"},
        {"disable_tqdm", "[null, false, true]"},  // Lathe has no tqdm bars either way
        {"remove_unused_columns", "[true]"},
        {"label_names", "[null]"},
        {"fsdp", R"(["", [], null, false])"},
        {"fsdp_min_num_params", "[0]"},
        {"fsdp_config",
         R"([null, {"min_num_params": 0, "xla": false, "xla_fsdp_v2": false,
                    "xla_fsdp_grad_ckpt": false}])"},
        {"fsdp_transformer_layer_cls_to_wrap", "[null]"},
        {"accelerator_config",
         R"([null, {"split_batches": false, "dispatch_batches": null, "even_batches": true,
                    "use_seedable_sampler": true, "non_blocking": false,
                    "gradient_accumulation_kwargs": null},
                   {"split_batches": false, "dispatch_batches": null, "even_batches": true,
                    "use_seedable_sampler": true, "non_blocking": false,
                    "gradient_accumulation_kwargs": null, "use_configured_state": false}])"},
        {"deepspeed", "[null]"},
        {"adafactor", "[false]"},
        {"group_by_length", "[false]"},
        {"length_column_name", R"(["length"])"},
        {"ddp_find_unused_parameters", "[null]"},
        {"ddp_broadcast_buffers", "[null]"},
        {"dataloader_pin_memory", "[true]"},
        {"dataloader_persistent_workers", "[false]"},
        {"skip_memory_metrics", "[true]"},
        {"use_legacy_prediction_loop", "[false]"},
        {"push_to_hub", "[false]"},
        {"hub_model_id", "[null]"},
        {"hub_strategy", R"(["every_save"])"},
        {"hub_token", R"([null, "<HUB_TOKEN>"])"},
        {"hub_private_repo", "[false, null]"},
        {"hub_always_push", "[false]"},
        {"gradient_checkpointing_kwargs", "[null]"},
        {"include_inputs_for_metrics", "[false]"},
        {"include_for_metrics", "[[]]"},
        {"eval_do_concat_batches", "[true]"},
        {"fp16_backend", R"(["auto"])"},
        {"push_to_hub_model_id", "[null]"},
        {"push_to_hub_organization", "[null]"},
        {"push_to_hub_token", R"([null, "<PUSH_TO_HUB_TOKEN>"])"},
        {"mp_parameters", R"([""])"},
        {"auto_find_batch_size", "[false]"},
        {"full_determinism", "[false]"},
        {"torchdynamo", "[null]"},
        {"ray_scope", R"(["last"])"},
        {"torch_compile", "[false]"},
        {"torch_compile_backend", "[null]"},
        {"torch_compile_mode", "[null]"},
        {"dispatch_batches", "[null]"},
        {"split_batches", "[null]"},
        {"include_tokens_per_second", "[false]"},
        {"include_num_input_tokens_seen", R"([false, "no"])"},
        {"optim_target_modules", "[null]"},
        {"batch_eval_metrics", "[false]"},
        {"use_liger_kernel", "[false]"},
        {"eval_use_gather_object", "[false]"},
        {"average_tokens_across_devices", "[false, true]"},  // one process: no effect
        // v4.5x / v5
        {"tp_size", "[0]"},
        {"liger_kernel_config", "[null]"},
        {"project", R"(["huggingface"])"},
        {"trackio_space_id", R"(["trackio", null])"},
        {"train_sampling_strategy", R"(["random"])"},
        {"use_cache", "[false]"},
        {"enable_jit_checkpoint", "[false]"},
        {"hub_revision", "[null]"},
        {"parallelism_config", "[null]"},
        // v5.2x
        {"activation_checkpointing_kwargs", "[null]"},  // gradient_checkpointing_kwargs' new name
        {"dataloader_in_order", "[true]"},
        {"dataloader_multiprocessing_context", "[null]"},
        {"ddp_static_graph", "[null]"},
        {"trackio_bucket_id", "[null]"},
        {"trackio_static_space_id", "[null]"},
    };
    for (const auto& [name, inert] : others)
        f.push_back(unsupported(name, inert));
    return f;
}

}  // namespace

const std::vector<Field>& fields() {
    static const std::vector<Field> table = build();
    return table;
}

const Field* find(const std::string& name) {
    static const auto index = [] {
        std::unordered_map<std::string, const Field*> map;
        for (const auto& field : fields())
            map.emplace(field.spec.name, &field);
        return map;
    }();
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
}

bool is_inert(const Field& field, const nlohmann::json& value) {
    if (field.spec.name == "logging_dir" && value.is_string() &&
        value.get_ref<const std::string&>().find("/runs/") != std::string::npos)
        return true;  // the directory Transformers generates when none is given
    return std::find(field.inert_values.begin(), field.inert_values.end(), value) !=
           field.inert_values.end();
}

}  // namespace detail

const char* field_type_name(FieldType type) {
    switch (type) {
        case FieldType::Bool:
            return "bool";
        case FieldType::Int:
            return "int";
        case FieldType::Float:
            return "float";
        case FieldType::String:
            return "string";
        case FieldType::Json:
            return "json";
        case FieldType::StringList:
            return "string_list";
        case FieldType::IntOrFloat:
            return "int_or_float";
        case FieldType::OptionalBool:
            return "optional_bool";
        case FieldType::StringOrBool:
            return "string_or_bool";
    }
    return "?";
}

const std::vector<FieldSpec>& schema() {
    static const std::vector<FieldSpec> specs = [] {
        std::vector<FieldSpec> out;
        for (const auto& field : detail::fields())
            out.push_back(field.spec);
        return out;
    }();
    return specs;
}

const FieldSpec* find_field(const std::string& name) {
    const auto* field = detail::find(name);
    return field == nullptr ? nullptr : &field->spec;
}

const std::vector<std::pair<std::string, std::string>>& deprecated_aliases() {
    static const std::vector<std::pair<std::string, std::string>> aliases = {
        {"evaluation_strategy", "eval_strategy"},
        {"warmup_ratio", "warmup_steps"},
        {"no_cuda", "use_cpu"},
    };
    return aliases;
}

const std::vector<std::pair<std::string, std::string>>& new_names() {
    static const std::vector<std::pair<std::string, std::string>> names = {
        {"activation_checkpointing", "gradient_checkpointing"},
    };
    return names;
}

nlohmann::json schema_json() {
    auto fields = nlohmann::json::array();
    auto unsupported = nlohmann::json::array();
    for (const auto& spec : schema()) {
        if (!spec.supported) {
            unsupported.push_back(spec.name);
            continue;
        }
        fields.push_back({{"name", spec.name},
                          {"type", field_type_name(spec.type)},
                          {"default", spec.default_value},
                          {"choices", spec.choices},
                          {"group", spec.group},
                          {"help", spec.help},
                          {"nullable", spec.nullable}});
    }
    auto aliases = nlohmann::json::object();
    for (const auto& [old_name, new_name] : deprecated_aliases())
        aliases[old_name] = new_name;
    auto renamed = nlohmann::json::object();
    for (const auto& [new_name, field] : new_names())
        renamed[new_name] = field;
    return {{"fields", fields},
            {"unsupported", unsupported},
            {"deprecated_aliases", aliases},
            {"new_names", renamed}};
}

}  // namespace lathe::core::training_args
