#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/checkpoints/trainer_state.h"
#include "core/data/sampler.h"
#include "core/data/token_blocks.h"
#include "core/distributed/gradient_buckets.h"
#include "core/events/event_writer.h"
#include "core/lr_schedules/reduce_lr_on_plateau.h"
#include "core/lr_schedules/schedule.h"
#include "core/models/causal_lm.h"
#include "core/run/run_config.h"
#include "core/tokenizer/tokenizer.h"
#include "core/trainer/callbacks.h"
#include "core/trainer/data_parallel.h"
#include "core/trainer/flow.h"
#include "core/trainer/grad_scaler.h"
#include "core/trainer/step_plan.h"
#include "core/training_args/training_arguments.h"

namespace lathe::core::trainer {

struct EarlyStoppingSpec {
    std::int64_t patience = 1;
    double threshold = 0.0;
};

struct TrainerOptions {
    training_args::TrainingArguments args;  // validated by the caller; resolved here
    std::string output_dir;                 // where checkpoint-N/ go (absolute)
    std::string run_id = "local";
    std::string events_path;  // empty: no events.jsonl
    nlohmann::json run_config = nlohmann::json::object();
    run::SampleSpec sample;
    std::optional<EarlyStoppingSpec> early_stopping;
    bool shuffle = true;        // tests turn this off to replay the batches an oracle saw
    bool progress_bar = false;  // a terminal progress line on stderr
    torch::Device device = torch::kCPU;
    std::vector<std::shared_ptr<TrainerCallback>> callbacks;  // after the built-in flow
    // Data parallelism (docs/distributed.md): null is a one-process run. Every rank runs a
    // Trainer; only rank 0 should be given an events_path.
    std::shared_ptr<distributed::ProcessGroup> process_group;
    // When set, a failure is written here as JSON (reason, message, hint) instead of a
    // run_failed event: the rank agent reports it for the whole job.
    std::string failure_file;
    // Dynamic loss scaling. fp16 turns it on with torch's defaults; setting it here turns it on
    // for any precision (tests run it in fp32 on CPU, where libtorch has no fp16 autocast).
    std::optional<GradScalerOptions> grad_scaler;
};

struct TrainOutcome {
    std::string reason;  // completed | stopped | early_stopping
    std::int64_t global_step = 0;
    nlohmann::json metrics;  // the final log entry (train_runtime, train_loss, ...)
};

// A failure the run reports as run_failed with this reason (non_finite_loss, ...).
class RunFailure : public std::runtime_error {
  public:
    RunFailure(std::string reason, const std::string& message)
        : std::runtime_error(message), reason_(std::move(reason)) {}
    const std::string& reason() const { return reason_; }

  private:
    std::string reason_;
};

// Transformers' Trainer loop for causal LMs on token blocks. See docs/trainer.md.
class Trainer {
  public:
    Trainer(std::shared_ptr<models::CausalLanguageModel> model,
            std::optional<tokenizer::Tokenizer> tokenizer, data::TokenBlocks train,
            data::TokenBlocks eval, TrainerOptions options);
    ~Trainer();

    // Trains to the end (resuming first when args.resume_from_checkpoint says so). Writes
    // run_started and exactly one of run_finished / run_failed; failures are rethrown.
    TrainOutcome train();

    const checkpoints::TrainerState& state() const { return state_; }
    const StepPlan& plan() const { return plan_; }
    const training_args::TrainingArguments& args() const { return args_; }
    std::vector<std::string> warnings() const { return warnings_; }
    // The fp16 loss scaler, or null when the run has none.
    const GradScaler* grad_scaler() const { return scaler_ ? &*scaler_ : nullptr; }

  private:
    TrainOutcome train_inner();
    std::optional<std::string> resume_checkpoint_path() const;
    void resume_from(const std::string& checkpoint);
    void train_window(std::int64_t micro_batches);
    void optimizer_step();
    void maybe_log_save_evaluate();
    nlohmann::json evaluate();
    void save_checkpoint(const nlohmann::json& metrics);
    void log(nlohmann::json logs, const std::string& event_type);
    void emit(const std::string& type, nlohmann::json fields);
    void report_failure(nlohmann::json failure);
    std::string rng_state_file() const;
    void agree_on_requests();
    template <typename Hook>
    void each_callback(Hook&& hook) {
        for (auto& callback : options_.callbacks)
            hook(*callback);
    }
    void report_progress(bool force);
    void load_best_model();
    std::int64_t non_embedding_parameters() const;

    std::shared_ptr<models::CausalLanguageModel> model_;
    std::optional<tokenizer::Tokenizer> tokenizer_;
    data::TokenBlocks train_, eval_;
    TrainerOptions options_;
    training_args::TrainingArguments args_;  // resolved
    StepPlan plan_;
    std::vector<std::string> warnings_;

    DataParallel ranks_;
    std::unique_ptr<distributed::GradientBuckets> gradient_buckets_;
    std::int64_t saves_ = 0;  // names each checkpoint's shared staging folder key

    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    std::optional<GradScaler> scaler_;
    lr_schedules::ScheduleSpec schedule_;
    std::optional<lr_schedules::ReduceLrOnPlateau> plateau_;
    std::unique_ptr<events::EventWriter> events_;
    std::unique_ptr<data::EpochSampler> sampler_;
    checkpoints::TrainerState state_;
    TrainerControl control_;
    DefaultFlow flow_;
    std::optional<EarlyStopping> early_stopping_;

    // Loop position and accumulators (saved in lathe_loop_state.json for exact resume).
    std::int64_t epoch_ = 0;
    std::int64_t micro_batches_in_epoch_ = 0;
    torch::Tensor tr_loss_;
    double total_loss_scalar_ = 0.0;
    std::int64_t globalstep_last_logged_ = 0;
    std::optional<double> last_grad_norm_;
    double current_lr_ = 0.0;
    double step_lr_ = 0.0;  // the rate the last optimizer step used (what Transformers 5 logs)
    // The schedule's position (LambdaLR's last_epoch): global_step minus the steps the grad
    // scaler skipped, which Transformers does not step the scheduler for.
    std::int64_t scheduler_steps_ = 0;
    double total_flos_ = 0.0;
    std::int64_t non_embedding_parameters_ = 0;
    std::string stop_reason_ = "completed";

    std::chrono::steady_clock::time_point train_start_, last_log_time_, last_progress_time_;
    std::int64_t tokens_since_log_ = 0;
};

}  // namespace lathe::core::trainer
