#pragma once

#include <cstdint>
#include <vector>

#include "core/models/causal_lm.h"

namespace lathe::core::models {

struct GenerateOptions {
    std::int64_t max_new_tokens = 50;
    double temperature = 0.0;  // <= 0: greedy
    std::int64_t top_k = 0;    // 0: the whole vocabulary
    std::uint64_t seed = 0;
    std::vector<std::int64_t> stop_token_ids;  // generation ends after emitting one of these
};

// Prompt plus continuation. No KV cache: each step re-reads the (at most max positions long)
// context, which is fine for the short samples the studio shows.
std::vector<std::int64_t> generate(CausalLanguageModel& model,
                                   const std::vector<std::int64_t>& prompt,
                                   const GenerateOptions& options);

}  // namespace lathe::core::models
