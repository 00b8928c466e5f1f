#include "core/trainer/evaluation.h"

#include <chrono>
#include <cmath>

#include "core/trainer/batches.h"
#include "core/trainer/precision.h"
#include "core/trainer/rounding.h"

namespace lathe::core::trainer {

EvalResult evaluate_loss(models::CausalLanguageModel& model, const data::TokenBlocks& blocks,
                         std::int64_t batch_size, const torch::Device& device,
                         std::optional<torch::ScalarType> autocast, std::int64_t shard,
                         std::int64_t shard_count) {
    const auto start = std::chrono::steady_clock::now();
    torch::NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    EvalResult result;
    double weighted = 0.0;
    std::vector<std::int64_t> mine;
    for (std::int64_t i = shard; i < blocks.size(); i += shard_count)
        mine.push_back(i);
    const auto count = static_cast<std::int64_t>(mine.size());
    for (std::int64_t first = 0; first < count; first += batch_size) {
        std::vector<std::int64_t> indices(mine.begin() + first,
                                          mine.begin() + std::min(first + batch_size, count));
        auto ids = make_batch(blocks, indices, device);
        torch::Tensor logits;
        {
            AutocastGuard guard(autocast, device);
            logits = model.forward(ids);
        }
        const double loss = models::causal_lm_loss(logits, ids).item<double>();
        weighted += loss * static_cast<double>(indices.size());
        result.samples += static_cast<std::int64_t>(indices.size());
        ++result.batches;
    }
    if (was_training)
        model.train();
    result.loss =
        result.samples > 0 ? weighted / static_cast<double>(result.samples) : std::nan("");
    result.runtime_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

nlohmann::json eval_metrics(const EvalResult& r) {
    const double t = std::max(r.runtime_seconds, 1e-9);
    return {{"eval_loss", r.loss},
            {"eval_runtime", round_to(r.runtime_seconds, 4)},
            {"eval_samples_per_second", round_to(static_cast<double>(r.samples) / t, 3)},
            {"eval_steps_per_second", round_to(static_cast<double>(r.batches) / t, 3)}};
}

}  // namespace lathe::core::trainer
