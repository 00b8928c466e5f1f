#include "app/lathe_train/run_setup.h"

#include <filesystem>

#include "core/models/model_factory.h"
#include "core/models/model_folder.h"
#include "core/models/tensor_io.h"
#include "core/util/error.h"

namespace lathe::app {
namespace fs = std::filesystem;
using core::Error;

namespace {

core::tokenizer::Tokenizer load_tokenizer(const core::run::RunConfig& config) {
    const auto& spec = config.tokenizer;
    if (spec.byte_level)
        return core::tokenizer::Tokenizer::byte_level();
    std::string path = spec.path;
    if (path.empty() && !config.model.path.empty())
        path = config.model.path;
    if (path.empty())
        return core::tokenizer::Tokenizer::byte_level();
    if (fs::is_directory(path)) {
        const auto file = fs::path(path) / "tokenizer.json";
        if (!fs::exists(file)) {
            throw Error(
                "run.json tokenizer: " + path +
                " has no tokenizer.json (set tokenizer.path, or tokenizer.byte_level: true)");
        }
        path = file.string();
    }
    return core::tokenizer::Tokenizer::from_file(path);
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
    auto model_config = core::models::preset_config(config.model.preset, tokenizer.vocab_size());
    auto json = core::models::to_hf_config_json(model_config);
    for (const auto& [key, value] : config.model.config_overrides.items())
        json[key] = value;
    model_config = core::models::parse_model_config(json, "run.json model.config_overrides");
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
