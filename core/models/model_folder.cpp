#include "core/models/model_folder.h"

#include <filesystem>
#include <set>

#include "core/models/model_factory.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::models {
namespace fs = std::filesystem;

namespace {

std::string base_prefix(const ModelConfig& config) {
    return config.model_type == "gpt2" ? "transformer." : "model.";
}

// Tensors Transformers' own checkpoints carry that are not parameters: GPT-2's causal-mask
// buffers (older files) and Llama's rotary inv_freq buffer.
bool is_known_non_parameter(const std::string& name) {
    auto ends_with = [&](const std::string& suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends_with(".attn.bias") || ends_with(".attn.masked_bias") ||
           ends_with("rotary_emb.inv_freq");
}

}  // namespace

std::shared_ptr<CausalLanguageModel> load_model(const std::string& dir,
                                                const LoadOptions& options) {
    const fs::path folder(dir);
    if (!fs::is_directory(folder)) {
        throw Error(dir + ": not a model folder (no such directory)");
    }
    if (!fs::exists(folder / "config.json")) {
        throw Error(dir + ": no config.json (a Hugging Face model folder needs one)");
    }
    if (!fs::exists(folder / "model.safetensors") &&
        !fs::exists(folder / "model.safetensors.index.json") &&
        fs::exists(folder / "pytorch_model.bin")) {
        throw Error(dir +
                    ": only pytorch_model.bin is present; Lathe reads safetensors (convert "
                    "with save_pretrained(..., safe_serialization=True))");
    }
    const ModelConfig config = load_model_config((folder / "config.json").string());
    auto model = make_model(config);
    auto checkpoint = safetensors::Checkpoint::open_dir(dir);

    const std::string prefix = base_prefix(config);
    std::set<std::string> used;
    std::optional<torch::ScalarType> stored_dtype;
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_parameters()) {
        const std::string& name = item.key();
        std::string file_name = name;
        if (!checkpoint.contains(file_name) && name.rfind(prefix, 0) == 0 &&
            checkpoint.contains(name.substr(prefix.size()))) {
            file_name = name.substr(prefix.size());
        }
        if (!checkpoint.contains(file_name)) {
            throw Error(dir + ": tensor \"" + name + "\" is missing from the checkpoint");
        }
        const auto& info = checkpoint.info(file_name);
        auto& param = item.value();
        if (info.shape != param.sizes().vec()) {
            throw Error(dir + ": tensor \"" + file_name + "\" has shape " +
                        c10::str(c10::IntArrayRef(info.shape)) + " in " +
                        checkpoint.file_of(file_name).path() + " but the config expects " +
                        c10::str(param.sizes()));
        }
        auto loaded = tensor_from_file(checkpoint.file_of(file_name), info);
        if (!stored_dtype && loaded.is_floating_point())
            stored_dtype = loaded.scalar_type();
        const auto dtype = options.dtype.value_or(loaded.scalar_type());
        if (dtype == loaded.scalar_type() && options.device.is_cpu()) {
            param.set_data(loaded);  // zero-copy: the parameter lives in the mapped file
        } else {
            param.set_data(loaded.to(options.device, dtype));
        }
        used.insert(file_name);
    }
    const auto tied = model->tied_parameter_names();
    std::vector<std::string> unexpected;
    for (const auto& name : checkpoint.names()) {
        if (used.count(name) || is_known_non_parameter(name))
            continue;
        if (std::find(tied.begin(), tied.end(), name) != tied.end())
            continue;
        unexpected.push_back(name);
    }
    if (!unexpected.empty()) {
        std::string list;
        for (std::size_t i = 0; i < unexpected.size() && i < 5; ++i) {
            list += (i ? ", " : "") + ("\"" + unexpected[i] + "\"");
        }
        if (unexpected.size() > 5)
            list += ", ... (" + std::to_string(unexpected.size()) + " in all)";
        throw Error(dir + ": the checkpoint has tensors a " + config.model_type +
                    " model with this config does not use: " + list);
    }
    if (!options.device.is_cpu())
        model->to(options.device);
    if (options.dtype || stored_dtype) {
        model->mutable_config().torch_dtype =
            torch_dtype_name(options.dtype.value_or(*stored_dtype));
    }
    model->eval();
    return model;
}

void save_model(const CausalLanguageModel& model, const std::string& dir,
                const tokenizer::Tokenizer* tokenizer, const SaveOptions& options) {
    fs::create_directories(dir);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    std::optional<torch::ScalarType> dtype;
    for (const auto& item : model.named_parameters()) {
        if (!dtype && item.value().is_floating_point())
            dtype = item.value().scalar_type();
        tensors.emplace_back(item.key(), item.value());
    }
    save_tensors(dir, tensors, options.max_shard_bytes);

    ModelConfig config = model.config();
    if (dtype)
        config.torch_dtype = torch_dtype_name(*dtype);
    // Transformers writes JSON with indent 2, sorted keys and a final newline.
    util::write_file_atomic((fs::path(dir) / "config.json").string(),
                            to_hf_config_json(config).dump(2) + "\n");
    util::write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                            to_hf_generation_config_json(config).dump(2) + "\n");
    if (tokenizer != nullptr) {
        tokenizer->save(dir);
    }
}

}  // namespace lathe::core::models
