#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace lathe::core::lr_schedules {

// torch.optim.lr_scheduler.ReduceLROnPlateau for one learning rate (every optimizer group of a
// Lathe run shares it), built from lr_scheduler_kwargs like get_reduce_on_plateau_schedule.
// The Trainer steps it with the eval metric after each evaluation, not after optimizer steps.
class ReduceLrOnPlateau {
  public:
    // kwargs (null counts as {}): mode "min"|"max" ("min"), factor (0.1, must be < 1), patience
    // (10), threshold (1e-4), threshold_mode "rel"|"abs" ("rel"), cooldown (0), min_lr (0), eps
    // (1e-8), verbose (accepted, ignored). Anything else throws Error naming
    // "lr_scheduler_kwargs.<key>".
    explicit ReduceLrOnPlateau(const nlohmann::json& kwargs, double base_lr);

    // One scheduler step with the latest metric (NaN counts as no improvement); returns the lr.
    double step(double metric);
    double lr() const { return lr_; }

    // The mutable state, for checkpoints: {"lr", "best", "num_bad_epochs", "cooldown_counter",
    // "last_epoch"}; a non-finite best is written as "inf", "-inf" or "nan".
    nlohmann::json state() const;
    // Restores state(); the settings come from the constructor's kwargs. Throws Error naming the
    // key on a malformed state.
    void load_state(const nlohmann::json& state);

  private:
    bool is_better(double a, double best) const;

    bool mode_max_ = false;
    bool threshold_abs_ = false;
    double factor_ = 0.1;
    std::int64_t patience_ = 10;
    double threshold_ = 1e-4;
    std::int64_t cooldown_ = 0;
    double min_lr_ = 0.0;
    double eps_ = 1e-8;

    double lr_ = 0.0;
    double best_ = 0.0;
    std::int64_t num_bad_epochs_ = 0;
    std::int64_t cooldown_counter_ = 0;
    std::int64_t last_epoch_ = 0;
};

}  // namespace lathe::core::lr_schedules
