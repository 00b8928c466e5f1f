#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/data/clm_dataset.h"
#include "core/models/causal_lm.h"
#include "core/run/run_config.h"
#include "core/tokenizer/tokenizer.h"

namespace lathe::app {

// The pieces a run needs, built from its run.json.
struct RunPieces {
    core::tokenizer::Tokenizer tokenizer;
    std::shared_ptr<core::models::CausalLanguageModel> model;
    std::string model_description;  // "gpt2-tiny from scratch" or the folder
};

// Tokenizer and model (loaded from a folder, or built from a preset and seeded).
RunPieces build_model(const core::run::RunConfig& config, std::uint64_t seed);

// Tokenizes (or reads from the cache) the run's dataset for this model.
core::data::PreparedDataset prepare_data(const core::run::RunConfig& config,
                                         const RunPieces& pieces, std::uint64_t seed);

}  // namespace lathe::app
