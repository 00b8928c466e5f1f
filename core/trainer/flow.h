#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/trainer/step_plan.h"
#include "core/training_args/training_arguments.h"

namespace lathe::core::trainer {

// Transformers' TrainerControl: what the loop does after the current step or epoch.
struct TrainerControl {
    bool should_training_stop = false;
    bool should_epoch_stop = false;
    bool should_save = false;
    bool should_evaluate = false;
    bool should_log = false;

    nlohmann::json to_json() const;  // stateful_callbacks["TrainerControl"]
    static TrainerControl from_json(const nlohmann::json& j);
};

// DefaultFlowCallback: on_step_end and on_epoch_end decide logging, evaluation and saving.
class DefaultFlow {
  public:
    DefaultFlow(const training_args::TrainingArguments& args, const StepPlan& plan)
        : args_(args), plan_(plan) {}
    void on_step_end(std::int64_t global_step, TrainerControl& control) const;
    void on_epoch_end(TrainerControl& control) const;

  private:
    const training_args::TrainingArguments& args_;
    const StepPlan& plan_;
};

// EarlyStoppingCallback(patience, threshold), run after each evaluation with the metric, before
// the best metric is updated (as in Transformers).
class EarlyStopping {
  public:
    EarlyStopping(std::int64_t patience, double threshold)
        : patience_(patience), threshold_(threshold) {}
    void on_evaluate(double metric, std::optional<double> best_metric, bool greater_is_better,
                     TrainerControl& control);
    std::int64_t patience_counter() const { return counter_; }

    // stateful_callbacks["EarlyStoppingCallback"] = {"args": {...}, "attributes": {...}}
    nlohmann::json to_json() const;
    void load_json(const nlohmann::json& j);

  private:
    std::int64_t patience_;
    double threshold_;
    std::int64_t counter_ = 0;
};

}  // namespace lathe::core::trainer
