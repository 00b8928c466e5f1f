#include "core/models/causal_lm.h"

#include <cmath>

namespace lathe::core::models {

torch::Tensor CausalLanguageModel::add_neftune_noise(const torch::Tensor& embeddings) const {
    if (!neftune_noise_alpha_ || !is_training())
        return embeddings;
    const double dims = static_cast<double>(embeddings.size(1) * embeddings.size(2));
    const double magnitude = *neftune_noise_alpha_ / std::sqrt(dims);
    return embeddings + torch::empty_like(embeddings).uniform_(-magnitude, magnitude);
}

torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                             std::optional<std::int64_t> num_items_in_batch,
                             std::int64_t ignore_index, double label_smoothing) {
    const auto vocab = logits.size(-1);
    auto shift_logits = logits.narrow(1, 0, logits.size(1) - 1).to(torch::kFloat32);
    auto shift_labels = labels.narrow(1, 1, labels.size(1) - 1).to(logits.device());
    auto flat_logits = shift_logits.reshape({-1, vocab});
    auto flat_labels = shift_labels.reshape({-1});
    namespace F = torch::nn::functional;
    if (num_items_in_batch) {
        auto sum = F::cross_entropy(flat_logits, flat_labels,
                                    F::CrossEntropyFuncOptions()
                                        .ignore_index(ignore_index)
                                        .reduction(torch::kSum)
                                        .label_smoothing(label_smoothing));
        return sum / static_cast<double>(*num_items_in_batch);
    }
    return F::cross_entropy(
        flat_logits, flat_labels,
        F::CrossEntropyFuncOptions().ignore_index(ignore_index).label_smoothing(label_smoothing));
}

}  // namespace lathe::core::models
