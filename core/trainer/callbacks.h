#pragma once

#include <nlohmann/json.hpp>

#include "core/checkpoints/trainer_state.h"
#include "core/trainer/flow.h"

namespace lathe::core::trainer {

// Transformers' TrainerCallback events, for code that embeds the trainer. Each hook may change
// `control` (stop training, ask for a save, evaluation or log), as a returned control does in
// Transformers. Hooks run on the training thread.
class TrainerCallback {
  public:
    virtual ~TrainerCallback() = default;
    virtual void on_train_begin(const checkpoints::TrainerState&, TrainerControl&) {}
    virtual void on_epoch_begin(const checkpoints::TrainerState&, TrainerControl&) {}
    virtual void on_step_end(const checkpoints::TrainerState&, TrainerControl&) {}
    virtual void on_epoch_end(const checkpoints::TrainerState&, TrainerControl&) {}
    virtual void on_log(const checkpoints::TrainerState&, TrainerControl&,
                        const nlohmann::json& /*logs*/) {}
    virtual void on_evaluate(const checkpoints::TrainerState&, TrainerControl&,
                             const nlohmann::json& /*metrics*/) {}
    virtual void on_save(const checkpoints::TrainerState&, TrainerControl&) {}
    virtual void on_train_end(const checkpoints::TrainerState&, TrainerControl&) {}
};

}  // namespace lathe::core::trainer
