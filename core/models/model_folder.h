#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/models/causal_lm.h"

namespace lathe::core::tokenizer {
class Tokenizer;
}

namespace lathe::core::models {

struct LoadOptions {
    // Unset: each weight keeps the dtype it is stored in (and, on CPU, is not even copied).
    std::optional<torch::ScalarType> dtype;
    torch::Device device = torch::kCPU;
};

// Loads a Hugging Face model folder: config.json plus model.safetensors or a sharded
// model.safetensors.index.json. Every parameter must be present with its exact shape; a tensor
// in the files that the model does not use is an error naming it (except the buffers and tied
// weights Transformers itself drops). Hub files without the "transformer."/"model." prefix load.
std::shared_ptr<CausalLanguageModel> load_model(const std::string& dir,
                                                const LoadOptions& options = {});

struct SaveOptions {
    // Transformers v4's default max_shard_size "5GB" (decimal, as Transformers counts it).
    std::uint64_t max_shard_bytes = 5'000'000'000ULL;
};

// Writes config.json, generation_config.json, model.safetensors (or shards and the index) and,
// when given, the tokenizer files: a folder AutoModelForCausalLM.from_pretrained reads.
void save_model(const CausalLanguageModel& model, const std::string& dir,
                const tokenizer::Tokenizer* tokenizer = nullptr, const SaveOptions& options = {});

}  // namespace lathe::core::models
