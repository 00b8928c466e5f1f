#pragma once

#include <cstdint>
#include <memory>

#include "core/models/causal_lm.h"

namespace lathe::core::models {

// The module for a config (gpt2 or llama), weights not initialised: for loading.
std::shared_ptr<CausalLanguageModel> make_model(const ModelConfig& config);

// A model from scratch, weights initialised as Transformers does after torch::manual_seed(seed).
std::shared_ptr<CausalLanguageModel> create_model(const ModelConfig& config, std::uint64_t seed);

}  // namespace lathe::core::models
