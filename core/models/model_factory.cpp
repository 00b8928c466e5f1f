#include "core/models/model_factory.h"

#include "core/models/gpt2.h"
#include "core/models/llama.h"
#include "core/util/error.h"

namespace lathe::core::models {

std::shared_ptr<CausalLanguageModel> make_model(const ModelConfig& config) {
    if (config.model_type == "gpt2")
        return std::make_shared<Gpt2LMHeadModel>(config);
    if (config.model_type == "llama")
        return std::make_shared<LlamaForCausalLM>(config);
    throw Error("model_type \"" + config.model_type +
                "\" is not supported (supported: gpt2, llama)");
}

std::shared_ptr<CausalLanguageModel> create_model(const ModelConfig& config, std::uint64_t seed) {
    auto model = make_model(config);
    torch::manual_seed(seed);
    model->init_weights();
    return model;
}

}  // namespace lathe::core::models
