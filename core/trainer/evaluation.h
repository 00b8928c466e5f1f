#pragma once

#include <torch/torch.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "core/data/token_blocks.h"
#include "core/models/causal_lm.h"

namespace lathe::core::trainer {

struct EvalResult {
    double loss = 0.0;  // Transformers' eval_loss: batch means weighted by batch size
    double runtime_seconds = 0.0;
    std::int64_t samples = 0;
    std::int64_t batches = 0;
};

// Runs the model over every evaluation block in order, in eval mode and without gradients,
// then restores the mode it found. With shard_count > 1 only blocks shard, shard + shard_count,
// ... are evaluated (one rank's share; the trainer combines the shares by sample count).
EvalResult evaluate_loss(models::CausalLanguageModel& model, const data::TokenBlocks& blocks,
                         std::int64_t batch_size, const torch::Device& device,
                         std::optional<torch::ScalarType> autocast = std::nullopt,
                         std::int64_t shard = 0, std::int64_t shard_count = 1);

// Transformers' metric keys (eval_runtime 4 decimals, rates 3), without epoch/step.
nlohmann::json eval_metrics(const EvalResult& result);

}  // namespace lathe::core::trainer
