#include "core/models/generate.h"

#include <algorithm>

#include "core/util/error.h"

namespace lathe::core::models {

std::vector<std::int64_t> generate(CausalLanguageModel& model,
                                   const std::vector<std::int64_t>& prompt,
                                   const GenerateOptions& options) {
    if (prompt.empty()) {
        throw Error("generate: the prompt is empty");
    }
    if (options.top_k < 0) {
        throw Error("generate: top_k must be >= 0, got " + std::to_string(options.top_k));
    }
    torch::NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    const auto device = model.parameters().front().device();
    const auto max_positions = model.config().max_position_embeddings;
    auto generator = at::detail::createCPUGenerator(options.seed);

    std::vector<std::int64_t> ids = prompt;
    for (std::int64_t step = 0; step < options.max_new_tokens; ++step) {
        const auto start = ids.size() > static_cast<std::size_t>(max_positions)
                               ? ids.size() - static_cast<std::size_t>(max_positions)
                               : 0;
        std::vector<std::int64_t> window(ids.begin() + static_cast<std::ptrdiff_t>(start),
                                         ids.end());
        auto input = torch::tensor(window, torch::kLong).unsqueeze(0).to(device);
        auto logits =
            model.forward(input).select(1, -1).squeeze(0).to(torch::kCPU, torch::kFloat32);
        std::int64_t next = 0;
        if (options.temperature <= 0.0) {
            next = logits.argmax().item<std::int64_t>();
        } else {
            logits = logits / options.temperature;
            if (options.top_k > 0 && options.top_k < logits.size(0)) {
                auto kth = std::get<0>(logits.topk(options.top_k)).min();
                logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
            }
            auto probs = torch::softmax(logits, -1);
            next = torch::multinomial(probs, 1, false, generator).item<std::int64_t>();
        }
        ids.push_back(next);
        if (std::find(options.stop_token_ids.begin(), options.stop_token_ids.end(), next) !=
            options.stop_token_ids.end()) {
            break;
        }
    }
    if (was_training)
        model.train();
    return ids;
}

}  // namespace lathe::core::models
