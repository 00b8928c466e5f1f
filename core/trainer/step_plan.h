#pragma once

#include <cstdint>

#include "core/training_args/training_arguments.h"

namespace lathe::core::trainer {

// The step arithmetic of Transformers' Trainer (v5), computed once before training.
struct StepPlan {
    std::int64_t batches_per_epoch = 0;  // L: train dataloader batches per process
    std::int64_t updates_per_epoch = 0;  // max(ceil(L / GA), 1)
    std::int64_t max_steps = 0;
    std::int64_t num_epochs = 0;     // epochs the loop runs
    std::int64_t logging_steps = 0;  // absolute (fractions of max_steps resolved)
    std::int64_t eval_steps = 0;
    std::int64_t save_steps = 0;
    std::int64_t warmup_steps = 0;
    std::int64_t global_batch_size = 0;  // per device x GA x world
};

// `train_blocks` is the number of training samples (blocks) this process sees per epoch.
StepPlan plan_steps(const training_args::TrainingArguments& resolved_args,
                    std::int64_t train_blocks, std::int64_t world_size = 1);

}  // namespace lathe::core::trainer
