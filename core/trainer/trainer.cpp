#include "core/trainer/trainer.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/checkpoints/rotation.h"
#include "core/models/generate.h"
#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/trainer/batches.h"
#include "core/trainer/checkpoint_io.h"
#include "core/trainer/evaluation.h"
#include "core/trainer/optimizer_factory.h"
#include "core/trainer/precision.h"
#include "core/trainer/rounding.h"
#include "core/trainer/run_signals.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::trainer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr const char* kLoopStateFile = "lathe_loop_state.json";
constexpr const char* kRngStateFile = "lathe_rng_state.pt";

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

bool is_out_of_memory(const std::string& message) {
    return message.find("out of memory") != std::string::npos ||
           message.find("can't allocate memory") != std::string::npos ||
           message.find("bad_alloc") != std::string::npos;
}

// Samples each rank sees per epoch: DistributedSampler pads the dataset to a multiple of the
// world size, so every rank has ceil(n / world) of them.
std::int64_t blocks_per_rank(std::int64_t blocks,
                             const std::shared_ptr<distributed::ProcessGroup>& group) {
    const std::int64_t world = group ? group->world_size() : 1;
    return (blocks + world - 1) / world;
}

std::int64_t world_of(const std::shared_ptr<distributed::ProcessGroup>& group) {
    return group ? group->world_size() : 1;
}

std::string metric_key(const std::string& metric) {
    return metric.rfind("eval_", 0) == 0 ? metric : "eval_" + metric;
}

// Weights of a checkpoint folder copied into the live parameters (the optimizer keeps pointing
// at the same tensors).
void copy_weights_from(models::CausalLanguageModel& model, const std::string& dir) {
    auto source = models::load_model(dir);
    torch::NoGradGuard no_grad;
    auto target = model.named_parameters();
    for (const auto& item : source->named_parameters()) {
        auto* param = target.find(item.key());
        if (param == nullptr) {
            throw Error(dir + ": tensor \"" + item.key() + "\" does not belong to this model");
        }
        param->copy_(item.value());
    }
}

}  // namespace

Trainer::Trainer(std::shared_ptr<models::CausalLanguageModel> model,
                 std::optional<tokenizer::Tokenizer> tokenizer, data::TokenBlocks train,
                 data::TokenBlocks eval, TrainerOptions options)
    : model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      train_(std::move(train)),
      eval_(std::move(eval)),
      options_(std::move(options)),
      args_(training_args::resolved(options_.args)),
      plan_(plan_steps(args_, blocks_per_rank(train_.size(), options_.process_group),
                       world_of(options_.process_group))),
      ranks_(options_.process_group, options_.device),
      flow_(args_, plan_) {
    training_args::validate(args_);
    if (args_.eval_strategy != "no" && eval_.empty()) {
        throw Error("training_args.eval_strategy = \"" + args_.eval_strategy +
                    "\" but the dataset has no evaluation blocks (set dataset.eval_files or "
                    "validation_split_percent)");
    }
    check_precision_device(args_.fp16, options_.device);
    if (args_.fp16 || options_.grad_scaler) {
        // Loss scaling keeps fp32 weights and gradients; scaled fp16 gradients overflow on most
        // steps, and torch refuses to unscale them ("Attempting to unscale FP16 gradients").
        for (const auto& item : model_->named_parameters()) {
            if (item.value().scalar_type() == torch::kHalf) {
                throw Error(
                    "training_args.fp16 trains float32 weights under float16 autocast, "
                    "but the model's weights are float16 (\"" +
                    item.key() + "\"): set model.dtype to float32");
            }
        }
        scaler_.emplace(options_.grad_scaler.value_or(GradScalerOptions{}));
    }
    if (args_.tf32)
        set_tf32(*args_.tf32);
    // Callers build the model on the CPU; its parameters must be on the run's device before the
    // optimizer and the gradient buckets take them (Module::to keeps the parameter objects).
    model_->to(options_.device);
    model_->set_gradient_checkpointing(args_.gradient_checkpointing);
    model_->set_neftune_noise_alpha(args_.neftune_noise_alpha);
    optimizer_ = create_optimizer(*model_, args_, &warnings_);
    if (ranks_.active()) {
        gradient_buckets_ = std::make_unique<distributed::GradientBuckets>(
            model_->parameters(), ranks_.group(),
            args_.ddp_bucket_cap_mb.value_or(25) * 1024 * 1024);
    }
    schedule_.type = lr_schedules::parse_scheduler_type(args_.lr_scheduler_type);
    schedule_.warmup_steps = plan_.warmup_steps;
    schedule_.total_steps = plan_.max_steps;
    schedule_.base_lr = args_.learning_rate;
    schedule_.kwargs = args_.lr_scheduler_kwargs;
    if (schedule_.type == lr_schedules::SchedulerType::ReduceLrOnPlateau) {
        plateau_.emplace(args_.lr_scheduler_kwargs, args_.learning_rate);
    } else {
        lr_schedules::validate(schedule_);
    }
    if (options_.early_stopping) {
        if (!args_.metric_for_best_model || args_.eval_strategy == "no") {
            throw Error(
                "early_stopping needs training_args.metric_for_best_model and an "
                "eval_strategy other than \"no\"");
        }
        early_stopping_.emplace(options_.early_stopping->patience,
                                options_.early_stopping->threshold);
    }
    sampler_ = std::make_unique<data::EpochSampler>(
        train_.size(), static_cast<std::uint64_t>(args_.data_seed.value_or(args_.seed)),
        options_.shuffle, ranks_.rank(), ranks_.world_size());
    if (!options_.events_path.empty()) {
        events_ = std::make_unique<events::EventWriter>(options_.events_path, options_.run_id);
    }
    state_.max_steps = plan_.max_steps;
    state_.logging_steps = plan_.logging_steps;
    state_.eval_steps = plan_.eval_steps;
    state_.save_steps = plan_.save_steps;
    state_.train_batch_size = args_.per_device_train_batch_size;
    state_.num_train_epochs = plan_.num_epochs;
    non_embedding_parameters_ = non_embedding_parameters();
    tr_loss_ =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32).device(options_.device));
}

Trainer::~Trainer() = default;

std::int64_t Trainer::non_embedding_parameters() const {
    std::int64_t n = 0;
    for (const auto& item : model_->named_parameters()) {
        const auto& name = item.key();
        if (name.find("wte.") != std::string::npos || name.find("wpe.") != std::string::npos ||
            name.find("embed_tokens.") != std::string::npos) {
            continue;
        }
        n += item.value().numel();
    }
    return n;
}

void Trainer::emit(const std::string& type, json fields) {
    if (events_)
        events_->write(type, std::move(fields));
}

void Trainer::report_failure(json failure) {
    if (options_.failure_file.empty()) {
        emit("run_failed", std::move(failure));
        return;
    }
    try {
        fs::create_directories(fs::path(options_.failure_file).parent_path());
        util::write_file_atomic(options_.failure_file, failure.dump(2) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "lathe-train: cannot write " << options_.failure_file << ": " << e.what()
                  << "\n";
    }
}

std::string Trainer::rng_state_file() const {
    // One file per rank in a data-parallel job (Transformers writes rng_state_<rank>.pth).
    return ranks_.active() ? "lathe_rng_state_" + std::to_string(ranks_.rank()) + ".pt"
                           : kRngStateFile;
}

// Signals reach the ranks at different moments; acting on them only once every rank knows keeps
// the ranks in step (a save or stop is a collective).
void Trainer::agree_on_requests() {
    bool save = take_save_request();
    bool stop = stop_requested();
    if (ranks_.active()) {
        const auto agreed = ranks_.any({save, stop});
        save = agreed[0];
        stop = agreed[1];
    }
    if (save)
        control_.should_save = true;
    if (stop) {
        control_.should_save = true;
        control_.should_training_stop = true;
        stop_reason_ = "stopped";
    }
}

TrainOutcome Trainer::train() {
    try {
        return train_inner();
    } catch (const RunFailure& e) {
        report_failure({{"reason", e.reason()}, {"message", e.what()}});
        throw;
    } catch (const Error& e) {
        report_failure({{"reason", "exception"}, {"message", e.what()}});
        throw;
    } catch (const std::bad_alloc&) {
        report_failure({{"reason", "out_of_memory"},
                        {"message", "memory allocation failed"},
                        {"hint",
                         "lower per_device_train_batch_size or block_size, or raise "
                         "gradient_accumulation_steps"}});
        throw;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        if (is_out_of_memory(message)) {
            report_failure({{"reason", "out_of_memory"},
                            {"message", message.substr(0, 2000)},
                            {"hint",
                             "lower per_device_train_batch_size or block_size, or raise "
                             "gradient_accumulation_steps"}});
        } else {
            report_failure({{"reason", "exception"}, {"message", message.substr(0, 2000)}});
        }
        throw;
    }
}

std::optional<std::string> Trainer::resume_checkpoint_path() const {
    const auto& r = args_.resume_from_checkpoint;
    if (std::holds_alternative<bool>(r)) {
        if (!std::get<bool>(r))
            return std::nullopt;
        auto latest = checkpoints::latest_checkpoint(options_.output_dir);
        if (!latest) {
            throw Error("training_args.resume_from_checkpoint = true but " + options_.output_dir +
                        " holds no complete checkpoint");
        }
        return latest;
    }
    if (std::holds_alternative<std::string>(r)) {
        const auto& path = std::get<std::string>(r);
        if (!fs::exists(fs::path(path) / "trainer_state.json")) {
            throw Error("training_args.resume_from_checkpoint: " + path +
                        " is not a complete checkpoint (no trainer_state.json)");
        }
        return path;
    }
    return std::nullopt;
}

TrainOutcome Trainer::train_inner() {
    fs::create_directories(options_.output_dir);
    const auto stale = checkpoints::remove_stale_staging(options_.output_dir);
    torch::manual_seed(static_cast<std::uint64_t>(args_.seed));
    const auto resume = resume_checkpoint_path();
    // One model on every rank, whatever each initialised (DDP does the same at wrap time).
    if (ranks_.active())
        distributed::broadcast_parameters(model_->parameters(), *ranks_.group());

    std::int64_t parameters = 0;
    for (const auto& p : model_->parameters())
        parameters += p.numel();
    emit("run_started",
         {{"config", options_.run_config},
          {"world_size", ranks_.world_size()},
          {"backend", ranks_.active() ? json(ranks_.group()->backend()) : json(nullptr)},
          {"device", options_.device.str()},
          {"parameter_count", parameters},
          {"versions", {{"lathe", "0.1.0"}, {"libtorch", TORCH_VERSION}}},
          {"max_steps", plan_.max_steps},
          {"num_train_epochs", plan_.num_epochs},
          {"train_blocks", train_.size()},
          {"eval_blocks", eval_.size()},
          {"global_batch_size", plan_.global_batch_size},
          {"resumed_from", resume ? json(*resume) : json(nullptr)}});
    for (const auto& w : warnings_)
        emit("warning", {{"message", w}});
    for (const auto& note : stale)
        emit("warning", {{"message", note}});

    if (resume)
        resume_from(*resume);
    model_->train();
    each_callback([&](TrainerCallback& c) { c.on_train_begin(state_, control_); });
    train_start_ = last_log_time_ = last_progress_time_ = Clock::now();

    if (args_.eval_on_start && !resume) {
        control_.should_evaluate = true;
        maybe_log_save_evaluate();
    }

    for (; epoch_ < plan_.num_epochs && !control_.should_training_stop; ++epoch_) {
        if (micro_batches_in_epoch_ == 0)
            sampler_->start_epoch(static_cast<std::uint64_t>(epoch_));
        control_.should_epoch_stop = false;
        each_callback([&](TrainerCallback& c) { c.on_epoch_begin(state_, control_); });
        while (micro_batches_in_epoch_ < plan_.batches_per_epoch) {
            const std::int64_t window = std::min(args_.gradient_accumulation_steps,
                                                 plan_.batches_per_epoch - micro_batches_in_epoch_);
            train_window(window);
            optimizer_step();
            flow_.on_step_end(state_.global_step, control_);
            each_callback([&](TrainerCallback& c) { c.on_step_end(state_, control_); });
            agree_on_requests();
            maybe_log_save_evaluate();
            report_progress(false);
            if (control_.should_epoch_stop || control_.should_training_stop)
                break;
        }
        if (micro_batches_in_epoch_ >= plan_.batches_per_epoch) {
            micro_batches_in_epoch_ = 0;
            flow_.on_epoch_end(control_);
            each_callback([&](TrainerCallback& c) { c.on_epoch_end(state_, control_); });
            maybe_log_save_evaluate();
        }
    }

    if (args_.load_best_model_at_end && state_.best_model_checkpoint)
        load_best_model();
    // Transformers' end-of-training cleanup: with save_total_limit 1, only the best survives.
    if (ranks_.is_main()) {
        for (const auto& old : checkpoints::checkpoints_to_delete_at_train_end(
                 checkpoints::list_checkpoints(options_.output_dir), args_.save_total_limit,
                 state_.best_model_checkpoint)) {
            checkpoints::remove_checkpoint(old);
            emit("checkpoint_deleted", {{"path", old}});
        }
    }
    each_callback([&](TrainerCallback& c) { c.on_train_end(state_, control_); });

    // The final log entry, as Trainer.train() writes it.
    total_loss_scalar_ += ranks_.mean(tr_loss_.item<double>());
    const double runtime = seconds_between(train_start_, Clock::now());
    const double samples = static_cast<double>(plan_.global_batch_size * plan_.max_steps);
    const double steps = static_cast<double>(plan_.max_steps);
    json metrics = {
        {"train_runtime", round_to(runtime, 4)},
        {"train_samples_per_second", round_to(samples / std::max(runtime, 1e-9), 3)},
        {"train_steps_per_second", round_to(steps / std::max(runtime, 1e-9), 3)},
        {"total_flos", state_.total_flos},
        {"train_loss", state_.global_step > 0
                           ? total_loss_scalar_ / static_cast<double>(state_.global_step)
                           : 0.0}};
    log(metrics, "");
    report_progress(true);
    json finished = {{"reason", stop_reason_}, {"metrics", state_.log_history.back()}};
    emit("run_finished", finished);
    return {stop_reason_, state_.global_step, state_.log_history.back()};
}

void Trainer::train_window(std::int64_t micro_batches) {
    const auto batch = args_.per_device_train_batch_size;
    std::vector<std::vector<std::int64_t>> windows;
    std::int64_t targets = 0;
    for (std::int64_t m = 0; m < micro_batches; ++m) {
        std::vector<std::int64_t> indices;
        for (std::int64_t i = 0; i < batch; ++i) {
            auto next = sampler_->next();
            if (!next)
                break;
            indices.push_back(*next);
        }
        if (indices.empty())
            break;
        targets += static_cast<std::int64_t>(indices.size()) * (train_.block_size() - 1);
        windows.push_back(std::move(indices));
    }
    for (std::size_t w = 0; w < windows.size(); ++w) {
        const auto& indices = windows[w];
        // Only the backward that ends the window averages gradients across ranks (DDP's
        // no_sync for the others).
        if (gradient_buckets_)
            gradient_buckets_->set_sync(w + 1 == windows.size());
        auto ids = make_batch(train_, indices, options_.device);
        // Token-weighted mean over the whole accumulation window (Transformers'
        // num_items_in_batch): each micro-batch contributes its loss sum / window targets.
        torch::Tensor logits;
        {
            AutocastGuard autocast(autocast_dtype(args_.bf16, args_.fp16), options_.device);
            logits = model_->forward(ids);
        }
        auto loss =
            models::causal_lm_loss(logits, ids, targets, -100, args_.label_smoothing_factor);
        (scaler_ ? scaler_->scale(loss) : loss).backward();
        auto detached = loss.detach();
        const bool finite = std::isfinite(detached.item<double>());
        if (!finite && args_.stop_on_non_finite_loss) {
            throw RunFailure("non_finite_loss",
                             "loss became " + std::to_string(detached.item<double>()) +
                                 " at step " + std::to_string(state_.global_step + 1) +
                                 " (stop_on_non_finite_loss is on)");
        }
        if (!finite && args_.logging_nan_inf_filter) {
            tr_loss_ = tr_loss_ + tr_loss_ / static_cast<double>(1 + state_.global_step -
                                                                 globalstep_last_logged_);
        } else {
            tr_loss_ = tr_loss_ + detached;
        }
        // Every rank's batch has this many tokens (the sampler pads to equal shards): counts are
        // for the whole job, as Transformers gathers them.
        const auto tokens = ids.numel() * ranks_.world_size();
        state_.num_input_tokens_seen += tokens;
        tokens_since_log_ += tokens;
        total_flos_ +=
            6.0 * static_cast<double>(non_embedding_parameters_) * static_cast<double>(tokens);
    }
    if (gradient_buckets_)
        gradient_buckets_->finish();
    micro_batches_in_epoch_ += micro_batches;
}

void Trainer::optimizer_step() {
    last_grad_norm_.reset();
    // As Accelerate does with a GradScaler: unscale before clipping (the logged grad_norm is
    // the true one, inf on an overflowing step), skip the optimizer and the scheduler on
    // non-finite gradients, then update the scale.
    const bool found_inf = scaler_ && scaler_->unscale(model_->parameters());
    if (args_.max_grad_norm > 0) {
        last_grad_norm_ =
            torch::nn::utils::clip_grad_norm_(model_->parameters(), args_.max_grad_norm);
    }
    current_lr_ =
        plateau_ ? plateau_->lr() : lr_schedules::learning_rate(schedule_, scheduler_steps_);
    set_learning_rate(*optimizer_, current_lr_);
    step_lr_ = current_lr_;
    if (!found_inf) {
        optimizer_->step();
        ++scheduler_steps_;
    }
    if (scaler_)
        scaler_->update(found_inf);
    optimizer_->zero_grad();
    state_.global_step += 1;
    state_.epoch = static_cast<double>(epoch_) + static_cast<double>(micro_batches_in_epoch_) /
                                                     static_cast<double>(plan_.batches_per_epoch);
    state_.total_flos = total_flos_;
    // As LambdaLR after scheduler.step(): the groups already hold the next step's rate, which is
    // the rate Transformers logs and what optimizer.pt must carry for a Python resume.
    current_lr_ =
        plateau_ ? plateau_->lr() : lr_schedules::learning_rate(schedule_, scheduler_steps_);
    set_learning_rate(*optimizer_, current_lr_);
}

void Trainer::log(json logs, const std::string& event_type) {
    logs["epoch"] = state_.epoch;
    logs["step"] = state_.global_step;
    state_.log_history.push_back(logs);
    each_callback([&](TrainerCallback& c) { c.on_log(state_, control_, logs); });
    if (!event_type.empty()) {
        json event = logs;
        if (event_type == "log") {
            const auto now = Clock::now();
            const double elapsed = seconds_between(last_log_time_, now);
            const auto steps =
                std::max<std::int64_t>(1, state_.global_step - globalstep_last_logged_);
            event["tokens_per_second"] =
                elapsed > 0 ? static_cast<double>(tokens_since_log_) / elapsed : 0.0;
            event["step_time_seconds"] = elapsed / static_cast<double>(steps);
            event["num_input_tokens_seen"] = state_.num_input_tokens_seen;
            last_log_time_ = now;
            tokens_since_log_ = 0;
        }
        emit(event_type, event);
    }
}

void Trainer::maybe_log_save_evaluate() {
    if (control_.should_log && state_.global_step > globalstep_last_logged_) {
        const double tr_loss = ranks_.mean(tr_loss_.item<double>());
        tr_loss_.zero_();
        json logs;
        // Unrounded, as Transformers 5 logs it (4.x rounded to 4 places): curves of slowly
        // falling losses keep their shape.
        logs["loss"] = tr_loss / static_cast<double>(state_.global_step - globalstep_last_logged_);
        if (last_grad_norm_)
            logs["grad_norm"] = *last_grad_norm_;
        // The rate this step used, read before the scheduler steps (Transformers 5; 4.x logged
        // the next step's rate).
        logs["learning_rate"] = step_lr_;
        total_loss_scalar_ += tr_loss;
        log(logs, "log");
        globalstep_last_logged_ = state_.global_step;
    }
    control_.should_log = false;
    json metrics;
    if (control_.should_evaluate) {
        control_.should_evaluate = false;
        metrics = evaluate();
    }
    if (control_.should_save) {
        control_.should_save = false;
        save_checkpoint(metrics);
    }
}

json Trainer::evaluate() {
    auto result =
        evaluate_loss(*model_, eval_, args_.per_device_eval_batch_size, options_.device,
                      autocast_dtype(args_.bf16, args_.fp16), ranks_.rank(), ranks_.world_size());
    if (ranks_.active()) {
        // Each rank evaluated its share; the job's loss is the sample-weighted mean.
        std::vector<double> sums{
            result.samples > 0 ? result.loss * static_cast<double>(result.samples) : 0.0,
            static_cast<double>(result.samples), static_cast<double>(result.batches)};
        ranks_.sum(sums);
        result.samples = static_cast<std::int64_t>(sums[1]);
        result.batches = static_cast<std::int64_t>(sums[2]);
        result.loss = result.samples > 0 ? sums[0] / sums[1] : std::nan("");
    }
    json metrics = eval_metrics(result);
    log(metrics, "");
    json event = state_.log_history.back();
    event["eval_perplexity"] = std::exp(result.loss);
    emit("eval", event);

    if (!options_.sample.prompt.empty() && tokenizer_ && ranks_.is_main()) {
        auto prompt = tokenizer_->encode(options_.sample.prompt, false);
        models::GenerateOptions gen;
        gen.max_new_tokens = options_.sample.max_new_tokens;
        gen.temperature = options_.sample.temperature;
        gen.top_k = options_.sample.top_k;
        gen.seed = static_cast<std::uint64_t>(args_.seed + state_.global_step);
        gen.stop_token_ids = model_->config().eos_token_ids;
        auto ids = models::generate(*model_, {prompt.begin(), prompt.end()}, gen);
        std::vector<std::int32_t> ids32(ids.begin(), ids.end());
        emit("sample", {{"step", state_.global_step},
                        {"prompt", options_.sample.prompt},
                        {"text", tokenizer_->decode(ids32, true)}});
    }

    each_callback([&](TrainerCallback& c) { c.on_evaluate(state_, control_, metrics); });
    if (plateau_)
        plateau_->step(result.loss);
    if (args_.metric_for_best_model) {
        const auto key = metric_key(*args_.metric_for_best_model);
        if (!metrics.contains(key)) {
            throw Error("training_args.metric_for_best_model = \"" + *args_.metric_for_best_model +
                        "\": the evaluation produced no \"" + key + "\"");
        }
        const double value = metrics[key].get<double>();
        const bool greater = args_.greater_is_better.value_or(false);
        if (early_stopping_) {
            early_stopping_->on_evaluate(value, state_.best_metric, greater, control_);
            if (control_.should_training_stop && stop_reason_ == "completed")
                stop_reason_ = "early_stopping";
        }
        if (checkpoints::is_better(value, state_.best_metric, greater)) {
            state_.best_metric = value;
            state_.best_global_step = state_.global_step;
            if (args_.save_strategy == "best")
                control_.should_save = true;
        }
    }
    return metrics;
}

void Trainer::save_checkpoint(const json& metrics) {
    const std::string final_path =
        (fs::path(options_.output_dir) / checkpoints::checkpoint_dir_name(state_.global_step))
            .string();
    if (state_.best_global_step && *state_.best_global_step == state_.global_step) {
        state_.best_model_checkpoint = final_path;
    }
    std::optional<checkpoints::CheckpointStaging> staging;
    if (ranks_.is_main())
        staging.emplace(options_.output_dir, state_.global_step);
    // Every rank puts its own part (its RNG state) into rank 0's staging folder; the folder is
    // renamed to checkpoint-N only after all parts are on disk, so a checkpoint that looks
    // complete is complete for every rank.
    const fs::path dir = ranks_.from_main("checkpoint-staging-" + std::to_string(saves_++),
                                          staging ? staging->path() : std::string());
    if (!ranks_.is_main()) {
        // A node that does not share output_dir keeps no RNG part (docs/distributed.md).
        if (!args_.save_only_model && fs::is_directory(dir))
            save_rng_state((dir / rng_state_file()).string());
        ranks_.barrier();
        each_callback([&](TrainerCallback& c) { c.on_save(state_, control_); });
        return;
    }
    models::save_model(*model_, dir.string(), tokenizer_ ? &*tokenizer_ : nullptr);
    util::write_file_atomic((dir / "training_args.json").string(), args_.to_json().dump(2) + "\n");
    if (!args_.save_only_model) {
        save_optimizer_state(*optimizer_, (dir / "optimizer.pt").string());
        std::vector<double> base_lrs(optimizer_->param_groups().size(), args_.learning_rate);
        save_scheduler_state(base_lrs, scheduler_steps_, current_lr_,
                             (dir / "scheduler.pt").string());
        if (scaler_)
            scaler_->save((dir / "scaler.pt").string());
        save_rng_state((dir / rng_state_file()).string());
        json loop = {{"epoch", epoch_},
                     {"world_size", ranks_.world_size()},
                     {"micro_batches_in_epoch", micro_batches_in_epoch_},
                     {"sampler", data::to_json(sampler_->state())},
                     {"tr_loss", tr_loss_.item<double>()},
                     {"total_loss_scalar", total_loss_scalar_},
                     {"globalstep_last_logged", globalstep_last_logged_},
                     {"total_flos", total_flos_},
                     {"scheduler_steps", scheduler_steps_},
                     {"plateau", plateau_ ? plateau_->state() : json(nullptr)}};
        util::write_file_atomic((dir / kLoopStateFile).string(), loop.dump(2) + "\n");
    }
    state_.stateful_callbacks = json::object();
    state_.stateful_callbacks["TrainerControl"] = control_.to_json();
    if (early_stopping_)
        state_.stateful_callbacks["EarlyStoppingCallback"] = early_stopping_->to_json();
    ranks_.barrier();  // every rank's part is written
    state_.save((dir / "trainer_state.json").string());
    const std::string committed = staging->commit();

    for (const auto& old :
         checkpoints::checkpoints_to_rotate(checkpoints::list_checkpoints(options_.output_dir),
                                            args_.save_total_limit, state_.best_model_checkpoint)) {
        checkpoints::remove_checkpoint(old);
        emit("checkpoint_deleted", {{"path", old}});
    }
    emit("checkpoint_saved", {{"path", committed},
                              {"step", state_.global_step},
                              {"metrics", metrics.is_null() ? json::object() : metrics},
                              {"bytes", checkpoints::folder_bytes(committed)},
                              {"best", state_.best_model_checkpoint == committed}});
    each_callback([&](TrainerCallback& c) { c.on_save(state_, control_); });
}

void Trainer::resume_from(const std::string& checkpoint) {
    copy_weights_from(*model_, checkpoint);
    state_ =
        checkpoints::TrainerState::load((fs::path(checkpoint) / "trainer_state.json").string());
    const fs::path loop_file = fs::path(checkpoint) / kLoopStateFile;
    if (!fs::exists(fs::path(checkpoint) / "optimizer.pt") || !fs::exists(loop_file)) {
        throw Error(checkpoint +
                    ": holds only the model (save_only_model); it cannot be resumed "
                    "exactly. Start a new run from its weights instead");
    }
    load_optimizer_state(*optimizer_, (fs::path(checkpoint) / "optimizer.pt").string());
    const json loop = json::parse(util::read_file(loop_file.string()));
    epoch_ = loop.at("epoch").get<std::int64_t>();
    micro_batches_in_epoch_ = loop.at("micro_batches_in_epoch").get<std::int64_t>();
    const std::int64_t saved_world = loop.value("world_size", std::int64_t{1});
    auto position = data::sampler_state_from_json(loop.at("sampler"));
    if (saved_world != ranks_.world_size()) {
        // The samples already seen this epoch are kept as a count; which ones each rank sees
        // next, and the RNG streams, cannot match the run that was interrupted.
        const std::int64_t consumed = position.index * saved_world;
        position.index = std::min(sampler_->per_rank_size(),
                                  (consumed + ranks_.world_size() - 1) / ranks_.world_size());
        micro_batches_in_epoch_ =
            std::min(plan_.batches_per_epoch, position.index / args_.per_device_train_batch_size);
        emit("warning",
             {{"message", "resuming a checkpoint saved by " + std::to_string(saved_world) +
                              " process(es) with " + std::to_string(ranks_.world_size()) +
                              ": the data order within this epoch and the random number "
                              "streams will not continue exactly (the global batch is now " +
                              std::to_string(plan_.global_batch_size) + ")"}});
    }
    sampler_->set_state(position);
    tr_loss_.fill_(loop.at("tr_loss").get<double>());
    total_loss_scalar_ = loop.at("total_loss_scalar").get<double>();
    globalstep_last_logged_ = loop.at("globalstep_last_logged").get<std::int64_t>();
    total_flos_ = loop.at("total_flos").get<double>();
    // Checkpoints from before the grad scaler have no skipped steps.
    scheduler_steps_ = loop.value("scheduler_steps", state_.global_step);
    const fs::path scaler_file = fs::path(checkpoint) / "scaler.pt";
    if (scaler_ && fs::exists(scaler_file))
        scaler_->load(scaler_file.string());
    if (plateau_ && !loop.at("plateau").is_null())
        plateau_->load_state(loop.at("plateau"));
    if (early_stopping_ && state_.stateful_callbacks.contains("EarlyStoppingCallback")) {
        early_stopping_->load_json(state_.stateful_callbacks["EarlyStoppingCallback"]);
    }
    if (state_.max_steps != plan_.max_steps) {
        emit("warning",
             {{"message", "resuming with max_steps " + std::to_string(plan_.max_steps) +
                              " where the checkpoint planned " + std::to_string(state_.max_steps) +
                              ": the learning-rate schedule will not continue exactly"}});
        state_.max_steps = plan_.max_steps;
    }
    current_lr_ =
        plateau_ ? plateau_->lr() : lr_schedules::learning_rate(schedule_, scheduler_steps_);
    // A checkpoint taken at the very end of an epoch resumes at the start of the next one.
    if (micro_batches_in_epoch_ >= plan_.batches_per_epoch) {
        micro_batches_in_epoch_ = 0;
        ++epoch_;
    }
    fs::path rng = fs::path(checkpoint) / rng_state_file();
    if (!fs::exists(rng)) {
        for (const char* fallback : {kRngStateFile, "lathe_rng_state_0.pt"}) {
            if (fs::exists(fs::path(checkpoint) / fallback)) {
                rng = fs::path(checkpoint) / fallback;
                break;
            }
        }
    }
    load_rng_state(rng.string());
    if (state_.global_step >= plan_.max_steps)
        control_.should_training_stop = true;
}

void Trainer::load_best_model() {
    copy_weights_from(*model_, *state_.best_model_checkpoint);
    emit("warning", {{"message", "loaded the best model from " + *state_.best_model_checkpoint +
                                     " (load_best_model_at_end)"}});
}

void Trainer::report_progress(bool force) {
    const auto now = Clock::now();
    if (!force && seconds_between(last_progress_time_, now) < 0.5)
        return;
    last_progress_time_ = now;
    const double elapsed = seconds_between(train_start_, now);
    const double done = static_cast<double>(state_.global_step);
    const double eta =
        done > 0 ? elapsed / done * static_cast<double>(plan_.max_steps - state_.global_step) : 0.0;
    emit("progress", {{"step", state_.global_step},
                      {"max_steps", plan_.max_steps},
                      {"epoch", state_.epoch},
                      {"eta_seconds", eta}});
    if (options_.progress_bar) {
        const int width = 30;
        const int filled = static_cast<int>(width * done / static_cast<double>(plan_.max_steps));
        std::fprintf(stderr, "\r[%s%s] %lld/%lld  epoch %.2f  ETA %.0f s  ",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                     static_cast<long long>(state_.global_step),
                     static_cast<long long>(plan_.max_steps), state_.epoch, eta);
        if (force)
            std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }
}

}  // namespace lathe::core::trainer
