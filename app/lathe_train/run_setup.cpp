#include "app/lathe_train/run_setup.h"

#include <filesystem>

#include "core/models/model_factory.h"
#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/run/run_tokenizer.h"
#include "core/util/error.h"

namespace lathe::app {
using core::Error;

namespace {

core::tokenizer::Tokenizer load_tokenizer(const core::run::RunConfig& config) {
    return core::run::load_tokenizer(config.model, config.tokenizer);
}

}  // namespace

RunPieces build_model(const core::run::RunConfig& config, std::uint64_t seed) {
    auto tokenizer = load_tokenizer(config);
    if (!config.model.path.empty()) {
        core::models::LoadOptions options;
        if (!config.model.dtype.empty()) {
            options.dtype =
                core::models::parse_torch_dtype(config.model.dtype, "run.json model.dtype");
        }
        auto model = core::models::load_model(config.model.path, options);
        if (tokenizer.vocab_size() > model->config().vocab_size) {
            throw Error("run.json: the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                        " tokens but the model's vocab_size is " +
                        std::to_string(model->config().vocab_size));
        }
        return {tokenizer, model, config.model.path};
    }
    auto model_config = core::models::apply_config_overrides(
        core::models::preset_config(config.model.preset, tokenizer.vocab_size()),
        config.model.config_overrides, "run.json model.config_overrides");
    model_config.bos_token_id = tokenizer.bos_token_id();
    model_config.eos_token_ids.clear();
    if (auto eos = tokenizer.eos_token_id())
        model_config.eos_token_ids.push_back(*eos);
    if (model_config.max_position_embeddings < config.dataset.block_size) {
        model_config.max_position_embeddings = config.dataset.block_size;
    }
    auto model = core::models::create_model(model_config, seed);
    if (!config.model.dtype.empty()) {
        model->to(core::models::parse_torch_dtype(config.model.dtype, "run.json model.dtype"));
    }
    return {tokenizer, model, config.model.preset + " from scratch"};
}

core::data::PreparedDataset prepare_data(const core::run::RunConfig& config,
                                         const RunPieces& pieces, std::uint64_t seed) {
    auto options = core::run::to_dataset_options(config.dataset, seed);
    options.max_model_positions = pieces.model->config().max_position_embeddings;
    core::data::validate(options);
    return core::data::prepare_causal_lm(options, pieces.tokenizer);
}

}  // namespace lathe::app
