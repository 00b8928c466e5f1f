#include "core/trainer/flow.h"

#include <cmath>

namespace lathe::core::trainer {

nlohmann::json TrainerControl::to_json() const {
    return {{"args",
             {{"should_epoch_stop", should_epoch_stop},
              {"should_evaluate", should_evaluate},
              {"should_log", should_log},
              {"should_save", should_save},
              {"should_training_stop", should_training_stop}}},
            {"attributes", nlohmann::json::object()}};
}

TrainerControl TrainerControl::from_json(const nlohmann::json& j) {
    TrainerControl c;
    const auto& a = j.at("args");
    c.should_epoch_stop = a.value("should_epoch_stop", false);
    c.should_evaluate = a.value("should_evaluate", false);
    c.should_log = a.value("should_log", false);
    c.should_save = a.value("should_save", false);
    c.should_training_stop = a.value("should_training_stop", false);
    return c;
}

void DefaultFlow::on_step_end(std::int64_t step, TrainerControl& control) const {
    if (step == 1 && args_.logging_first_step)
        control.should_log = true;
    if (args_.logging_strategy == "steps" && step % plan_.logging_steps == 0) {
        control.should_log = true;
    }
    if (args_.eval_strategy == "steps" && step % plan_.eval_steps == 0 &&
        args_.eval_delay <= static_cast<double>(step)) {
        control.should_evaluate = true;
    }
    if (args_.save_strategy == "steps" && plan_.save_steps > 0 && step % plan_.save_steps == 0) {
        control.should_save = true;
    }
    if (step >= plan_.max_steps) {
        control.should_training_stop = true;
        if (args_.save_strategy != "no" && args_.save_strategy != "best") {
            control.should_save = true;
        }
    }
}

void DefaultFlow::on_epoch_end(TrainerControl& control) const {
    if (args_.logging_strategy == "epoch")
        control.should_log = true;
    if (args_.eval_strategy == "epoch")
        control.should_evaluate = true;
    if (args_.save_strategy == "epoch")
        control.should_save = true;
}

void EarlyStopping::on_evaluate(double metric, std::optional<double> best, bool greater_is_better,
                                TrainerControl& control) {
    const bool improved =
        !best || (greater_is_better ? metric > *best && std::abs(metric - *best) > threshold_
                                    : metric < *best && std::abs(metric - *best) > threshold_);
    counter_ = improved ? 0 : counter_ + 1;
    if (counter_ >= patience_)
        control.should_training_stop = true;
}

nlohmann::json EarlyStopping::to_json() const {
    return {{"args",
             {{"early_stopping_patience", patience_}, {"early_stopping_threshold", threshold_}}},
            {"attributes", {{"early_stopping_patience_counter", counter_}}}};
}

void EarlyStopping::load_json(const nlohmann::json& j) {
    counter_ = j.at("attributes").value("early_stopping_patience_counter", std::int64_t{0});
}

}  // namespace lathe::core::trainer
