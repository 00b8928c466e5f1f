#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::models {

// RoPE frequency scaling, as Transformers' `rope_scaling` (v4) / `rope_parameters` (v5).
struct RopeScaling {
    std::string rope_type = "default";  // default | linear | llama3
    double factor = 1.0;
    double low_freq_factor = 1.0;
    double high_freq_factor = 4.0;
    std::int64_t original_max_position_embeddings = 0;
};

// One typed view of a Hugging Face `config.json` for the causal LMs Lathe implements. Field
// names follow Llama's spelling; GPT-2's aliases (n_embd, n_layer, ...) are mapped on parse and
// written back in GPT-2's own spelling on save.
struct ModelConfig {
    std::string model_type;  // "gpt2" | "llama"
    std::int64_t vocab_size = 0;
    std::int64_t hidden_size = 0;
    std::int64_t num_hidden_layers = 0;
    std::int64_t num_attention_heads = 0;
    std::int64_t num_key_value_heads = 0;
    std::int64_t head_dim = 0;
    std::int64_t intermediate_size = 0;
    std::int64_t max_position_embeddings = 0;
    std::string hidden_act;  // gelu_new | silu | gelu | relu
    double norm_eps = 1e-5;
    double initializer_range = 0.02;
    bool tie_word_embeddings = true;
    std::optional<std::int64_t> bos_token_id;
    std::vector<std::int64_t> eos_token_ids;
    std::optional<std::int64_t> pad_token_id;
    std::string torch_dtype = "float32";

    // GPT-2
    double resid_pdrop = 0.1;
    double embd_pdrop = 0.1;
    double attn_pdrop = 0.1;
    bool scale_attn_weights = true;
    bool scale_attn_by_inverse_layer_idx = false;
    bool reorder_and_upcast_attn = false;

    // Llama
    double rope_theta = 10000.0;
    RopeScaling rope_scaling;
    bool attention_bias = false;
    bool mlp_bias = false;
    double attention_dropout = 0.0;

    // The file as read: keys Lathe does not interpret survive a load/save round trip.
    nlohmann::json original = nlohmann::json::object();
};

const std::vector<std::string>& supported_model_types();

// `source` names the file in error messages, e.g. "models/x/config.json".
ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source);
ModelConfig load_model_config(const std::string& config_json_path);

// The config.json Transformers reads back to the same model (v4 spelling, which v5 also reads).
nlohmann::json to_hf_config_json(const ModelConfig& config);
// generation_config.json as save_pretrained writes it for a generative model.
nlohmann::json to_hf_generation_config_json(const ModelConfig& config);

// Checks the combination of values (heads divide the width, ...); throws Error naming the field.
void validate(const ModelConfig& config, const std::string& source);

// Named sizes for runs from scratch: gpt2-tiny, gpt2-small (124M), gpt2-medium, llama-tiny,
// llama-small. vocab_size and max positions come from the tokenizer and the data.
ModelConfig preset_config(const std::string& preset, std::int64_t vocab_size);
const std::vector<std::string>& preset_names();
// A preset with run.json's model.config_overrides merged into its config.json (e.g.
// {"n_layer": 2}), read back and checked; errors name `source` and the key.
ModelConfig apply_config_overrides(const ModelConfig& config, const nlohmann::json& overrides,
                                   const std::string& source);

// Parameter count without building the model (for the studio and dry runs).
std::int64_t count_parameters(const ModelConfig& config);

}  // namespace lathe::core::models
