#include "core/models/model_config.h"

#include <algorithm>
#include <sstream>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::models {
namespace {

using nlohmann::json;

std::string where(const std::string& source, const std::string& key) {
    return source + ": \"" + key + "\"";
}

// The first of `keys` present and not null, so that v4/v5 spellings and GPT-2 aliases all work.
const json* find_any(const json& j, std::initializer_list<const char*> keys, std::string* found) {
    for (const char* key : keys) {
        auto it = j.find(key);
        if (it != j.end() && !it->is_null()) {
            if (found)
                *found = key;
            return &*it;
        }
    }
    return nullptr;
}

std::int64_t get_int(const json& j, std::initializer_list<const char*> keys, std::int64_t fallback,
                     const std::string& source) {
    std::string key;
    const json* v = find_any(j, keys, &key);
    if (!v)
        return fallback;
    if (!v->is_number_integer()) {
        throw Error(where(source, key) + " must be an integer, got " + v->dump());
    }
    return v->get<std::int64_t>();
}

double get_double(const json& j, std::initializer_list<const char*> keys, double fallback,
                  const std::string& source) {
    std::string key;
    const json* v = find_any(j, keys, &key);
    if (!v)
        return fallback;
    if (!v->is_number()) {
        throw Error(where(source, key) + " must be a number, got " + v->dump());
    }
    return v->get<double>();
}

bool get_bool(const json& j, const char* key, bool fallback, const std::string& source) {
    std::string found;
    const json* v = find_any(j, {key}, &found);
    if (!v)
        return fallback;
    if (!v->is_boolean()) {
        throw Error(where(source, key) + " must be true or false, got " + v->dump());
    }
    return v->get<bool>();
}

std::string get_string(const json& j, std::initializer_list<const char*> keys,
                       const std::string& fallback, const std::string& source) {
    std::string key;
    const json* v = find_any(j, keys, &key);
    if (!v)
        return fallback;
    if (!v->is_string()) {
        throw Error(where(source, key) + " must be a string, got " + v->dump());
    }
    return v->get<std::string>();
}

std::optional<std::int64_t> get_optional_int(const json& j, const char* key,
                                             const std::string& source) {
    std::string found;
    const json* v = find_any(j, {key}, &found);
    if (!v)
        return std::nullopt;
    if (!v->is_number_integer()) {
        throw Error(where(source, key) + " must be an integer, got " + v->dump());
    }
    return v->get<std::int64_t>();
}

std::vector<std::int64_t> get_eos_ids(const json& j, const std::string& source) {
    auto it = j.find("eos_token_id");
    if (it == j.end() || it->is_null())
        return {};
    if (it->is_number_integer())
        return {it->get<std::int64_t>()};
    if (it->is_array()) {
        std::vector<std::int64_t> ids;
        for (const auto& v : *it) {
            if (!v.is_number_integer()) {
                throw Error(where(source, "eos_token_id") + " must hold integers, got " +
                            it->dump());
            }
            ids.push_back(v.get<std::int64_t>());
        }
        return ids;
    }
    throw Error(where(source, "eos_token_id") + " must be an integer or a list, got " + it->dump());
}

RopeScaling parse_rope(const json& r, const std::string& source, const std::string& key) {
    RopeScaling s;
    if (!r.is_object()) {
        throw Error(where(source, key) + " must be an object, got " + r.dump());
    }
    // v4 files may say "type" instead of "rope_type".
    s.rope_type = get_string(r, {"rope_type", "type"}, "default", source + " " + key);
    s.factor = get_double(r, {"factor"}, 1.0, source + " " + key);
    s.low_freq_factor = get_double(r, {"low_freq_factor"}, 1.0, source + " " + key);
    s.high_freq_factor = get_double(r, {"high_freq_factor"}, 4.0, source + " " + key);
    s.original_max_position_embeddings =
        get_int(r, {"original_max_position_embeddings"}, 0, source + " " + key);
    static const std::vector<std::string> supported = {"default", "linear", "llama3"};
    if (std::find(supported.begin(), supported.end(), s.rope_type) == supported.end()) {
        throw Error(where(source, key) + ": rope_type \"" + s.rope_type +
                    "\" is not supported (supported: default, linear, llama3)");
    }
    return s;
}

void parse_gpt2(const json& j, const std::string& src, ModelConfig& c) {
    c.vocab_size = get_int(j, {"vocab_size"}, 50257, src);
    c.max_position_embeddings = get_int(j, {"n_positions", "max_position_embeddings"}, 1024, src);
    c.hidden_size = get_int(j, {"n_embd", "hidden_size"}, 768, src);
    c.num_hidden_layers = get_int(j, {"n_layer", "num_hidden_layers"}, 12, src);
    c.num_attention_heads = get_int(j, {"n_head", "num_attention_heads"}, 12, src);
    c.num_key_value_heads = c.num_attention_heads;
    c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
    c.intermediate_size = get_int(j, {"n_inner"}, 4 * c.hidden_size, src);
    c.hidden_act = get_string(j, {"activation_function"}, "gelu_new", src);
    c.resid_pdrop = get_double(j, {"resid_pdrop"}, 0.1, src);
    c.embd_pdrop = get_double(j, {"embd_pdrop"}, 0.1, src);
    c.attn_pdrop = get_double(j, {"attn_pdrop"}, 0.1, src);
    c.norm_eps = get_double(j, {"layer_norm_epsilon"}, 1e-5, src);
    c.initializer_range = get_double(j, {"initializer_range"}, 0.02, src);
    c.scale_attn_weights = get_bool(j, "scale_attn_weights", true, src);
    c.scale_attn_by_inverse_layer_idx = get_bool(j, "scale_attn_by_inverse_layer_idx", false, src);
    c.reorder_and_upcast_attn = get_bool(j, "reorder_and_upcast_attn", false, src);
    c.tie_word_embeddings = get_bool(j, "tie_word_embeddings", true, src);
    c.bos_token_id = get_optional_int(j, "bos_token_id", src);
    if (!c.bos_token_id)
        c.bos_token_id = 50256;
    c.eos_token_ids = get_eos_ids(j, src);
    if (!j.contains("eos_token_id"))
        c.eos_token_ids = {50256};
}

void parse_llama(const json& j, const std::string& src, ModelConfig& c) {
    c.vocab_size = get_int(j, {"vocab_size"}, 32000, src);
    c.hidden_size = get_int(j, {"hidden_size"}, 4096, src);
    c.intermediate_size = get_int(j, {"intermediate_size"}, 11008, src);
    c.num_hidden_layers = get_int(j, {"num_hidden_layers"}, 32, src);
    c.num_attention_heads = get_int(j, {"num_attention_heads"}, 32, src);
    c.num_key_value_heads = get_int(j, {"num_key_value_heads"}, c.num_attention_heads, src);
    c.head_dim =
        get_int(j, {"head_dim"},
                c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0, src);
    c.hidden_act = get_string(j, {"hidden_act"}, "silu", src);
    c.max_position_embeddings = get_int(j, {"max_position_embeddings"}, 2048, src);
    c.initializer_range = get_double(j, {"initializer_range"}, 0.02, src);
    c.norm_eps = get_double(j, {"rms_norm_eps"}, 1e-6, src);
    c.tie_word_embeddings = get_bool(j, "tie_word_embeddings", false, src);
    c.attention_bias = get_bool(j, "attention_bias", false, src);
    c.mlp_bias = get_bool(j, "mlp_bias", false, src);
    c.attention_dropout = get_double(j, {"attention_dropout"}, 0.0, src);
    c.bos_token_id = get_optional_int(j, "bos_token_id", src);
    c.eos_token_ids = get_eos_ids(j, src);
    c.pad_token_id = get_optional_int(j, "pad_token_id", src);
    if (!j.contains("bos_token_id"))
        c.bos_token_id = 1;
    if (!j.contains("eos_token_id"))
        c.eos_token_ids = {2};

    // v4: rope_theta + rope_scaling; v5: rope_parameters holding rope_theta and the scaling.
    c.rope_theta = get_double(j, {"rope_theta"}, 10000.0, src);
    auto params = j.find("rope_parameters");
    if (params != j.end() && !params->is_null()) {
        c.rope_scaling = parse_rope(*params, src, "rope_parameters");
        c.rope_theta = get_double(*params, {"rope_theta"}, c.rope_theta, src + " rope_parameters");
    } else {
        auto scaling = j.find("rope_scaling");
        if (scaling != j.end() && !scaling->is_null()) {
            c.rope_scaling = parse_rope(*scaling, src, "rope_scaling");
        }
    }
    if (c.rope_scaling.rope_type == "llama3" &&
        c.rope_scaling.original_max_position_embeddings <= 0) {
        throw Error(where(src, "rope_scaling") +
                    ": llama3 scaling needs original_max_position_embeddings > 0");
    }
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

const std::vector<std::string>& supported_model_types() {
    static const std::vector<std::string> types = {"gpt2", "llama"};
    return types;
}

ModelConfig parse_model_config(const json& j, const std::string& source) {
    if (!j.is_object()) {
        throw Error(source + ": a model config must be a JSON object");
    }
    ModelConfig c;
    c.original = j;
    auto type = j.find("model_type");
    if (type == j.end() || !type->is_string()) {
        throw Error(source + ": \"model_type\" is missing (supported: " +
                    join(supported_model_types()) + ")");
    }
    c.model_type = type->get<std::string>();
    if (c.model_type == "gpt2") {
        parse_gpt2(j, source, c);
    } else if (c.model_type == "llama") {
        parse_llama(j, source, c);
    } else {
        throw Error(source + ": model_type \"" + c.model_type +
                    "\" is not supported (supported: " + join(supported_model_types()) + ")");
    }
    c.torch_dtype = get_string(j, {"torch_dtype", "dtype"}, "float32", source);
    validate(c, source);
    return c;
}

ModelConfig load_model_config(const std::string& path) {
    std::string text = util::read_file(path);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
    return parse_model_config(j, path);
}

void validate(const ModelConfig& c, const std::string& source) {
    auto positive = [&](const char* name, std::int64_t v) {
        if (v <= 0)
            throw Error(where(source, name) + " must be > 0, got " + std::to_string(v));
    };
    positive("vocab_size", c.vocab_size);
    positive("hidden_size", c.hidden_size);
    positive("num_hidden_layers", c.num_hidden_layers);
    positive("num_attention_heads", c.num_attention_heads);
    positive("num_key_value_heads", c.num_key_value_heads);
    positive("head_dim", c.head_dim);
    positive("intermediate_size", c.intermediate_size);
    positive("max_position_embeddings", c.max_position_embeddings);
    if (c.model_type == "gpt2" && c.hidden_size % c.num_attention_heads != 0) {
        throw Error(where(source, "n_embd") + " = " + std::to_string(c.hidden_size) +
                    " is not divisible by n_head = " + std::to_string(c.num_attention_heads));
    }
    if (c.num_attention_heads % c.num_key_value_heads != 0) {
        throw Error(
            where(source, "num_attention_heads") + " = " + std::to_string(c.num_attention_heads) +
            " is not a multiple of num_key_value_heads = " + std::to_string(c.num_key_value_heads));
    }
    if (c.model_type == "llama" && c.head_dim % 2 != 0) {
        throw Error(where(source, "head_dim") + " must be even for rotary embeddings, got " +
                    std::to_string(c.head_dim));
    }
    static const std::vector<std::string> acts = {"gelu_new", "gelu_pytorch_tanh", "gelu", "silu",
                                                  "relu"};
    if (std::find(acts.begin(), acts.end(), c.hidden_act) == acts.end()) {
        throw Error(where(source, c.model_type == "gpt2" ? "activation_function" : "hidden_act") +
                    ": \"" + c.hidden_act + "\" is not supported (supported: " + join(acts) + ")");
    }
    static const std::vector<std::string> dtypes = {"float32", "bfloat16", "float16"};
    if (std::find(dtypes.begin(), dtypes.end(), c.torch_dtype) == dtypes.end()) {
        throw Error(where(source, "torch_dtype") + ": \"" + c.torch_dtype +
                    "\" is not supported (supported: " + join(dtypes) + ")");
    }
}

json to_hf_config_json(const ModelConfig& c) {
    json j = c.original.is_object() ? c.original : json::object();
    // v5 spellings are replaced by the v4 ones, which both v4 and v5 read.
    j.erase("rope_parameters");
    j.erase("dtype");
    j["model_type"] = c.model_type;
    j["vocab_size"] = c.vocab_size;
    j["initializer_range"] = c.initializer_range;
    j["torch_dtype"] = c.torch_dtype;
    j["tie_word_embeddings"] = c.tie_word_embeddings;
    if (c.bos_token_id)
        j["bos_token_id"] = *c.bos_token_id;
    if (c.eos_token_ids.size() == 1) {
        j["eos_token_id"] = c.eos_token_ids[0];
    } else if (!c.eos_token_ids.empty()) {
        j["eos_token_id"] = c.eos_token_ids;
    }
    if (c.pad_token_id)
        j["pad_token_id"] = *c.pad_token_id;
    if (c.model_type == "gpt2") {
        for (const char* alias : {"hidden_size", "num_hidden_layers", "num_attention_heads",
                                  "max_position_embeddings"}) {
            j.erase(alias);
        }
        j["architectures"] = {"GPT2LMHeadModel"};
        j["n_embd"] = c.hidden_size;
        j["n_layer"] = c.num_hidden_layers;
        j["n_head"] = c.num_attention_heads;
        j["n_positions"] = c.max_position_embeddings;
        j["n_ctx"] = c.max_position_embeddings;
        j["n_inner"] =
            c.intermediate_size == 4 * c.hidden_size ? json(nullptr) : json(c.intermediate_size);
        j["activation_function"] = c.hidden_act;
        j["resid_pdrop"] = c.resid_pdrop;
        j["embd_pdrop"] = c.embd_pdrop;
        j["attn_pdrop"] = c.attn_pdrop;
        j["layer_norm_epsilon"] = c.norm_eps;
        j["scale_attn_weights"] = c.scale_attn_weights;
        j["scale_attn_by_inverse_layer_idx"] = c.scale_attn_by_inverse_layer_idx;
        j["reorder_and_upcast_attn"] = c.reorder_and_upcast_attn;
    } else {
        j["architectures"] = {"LlamaForCausalLM"};
        j["hidden_size"] = c.hidden_size;
        j["intermediate_size"] = c.intermediate_size;
        j["num_hidden_layers"] = c.num_hidden_layers;
        j["num_attention_heads"] = c.num_attention_heads;
        j["num_key_value_heads"] = c.num_key_value_heads;
        j["head_dim"] = c.head_dim;
        j["hidden_act"] = c.hidden_act;
        j["max_position_embeddings"] = c.max_position_embeddings;
        j["rms_norm_eps"] = c.norm_eps;
        j["rope_theta"] = c.rope_theta;
        j["attention_bias"] = c.attention_bias;
        j["mlp_bias"] = c.mlp_bias;
        j["attention_dropout"] = c.attention_dropout;
        if (!j.contains("pretraining_tp"))
            j["pretraining_tp"] = 1;
        if (c.rope_scaling.rope_type == "default") {
            j["rope_scaling"] = nullptr;
        } else {
            json r = {{"rope_type", c.rope_scaling.rope_type}, {"factor", c.rope_scaling.factor}};
            if (c.rope_scaling.rope_type == "llama3") {
                r["low_freq_factor"] = c.rope_scaling.low_freq_factor;
                r["high_freq_factor"] = c.rope_scaling.high_freq_factor;
                r["original_max_position_embeddings"] =
                    c.rope_scaling.original_max_position_embeddings;
            }
            j["rope_scaling"] = r;
        }
    }
    return j;
}

json to_hf_generation_config_json(const ModelConfig& c) {
    json j = {{"_from_model_config", true}};
    if (c.bos_token_id)
        j["bos_token_id"] = *c.bos_token_id;
    if (c.eos_token_ids.size() == 1) {
        j["eos_token_id"] = c.eos_token_ids[0];
    } else if (!c.eos_token_ids.empty()) {
        j["eos_token_id"] = c.eos_token_ids;
    }
    if (c.pad_token_id)
        j["pad_token_id"] = *c.pad_token_id;
    return j;
}

const std::vector<std::string>& preset_names() {
    static const std::vector<std::string> names = {"gpt2-tiny", "gpt2-small", "gpt2-medium",
                                                   "llama-tiny", "llama-small"};
    return names;
}

ModelConfig apply_config_overrides(const ModelConfig& config, const nlohmann::json& overrides,
                                   const std::string& source) {
    if (!overrides.is_object())
        throw Error(source + " must be an object, e.g. {\"n_layer\": 2}");
    auto json = to_hf_config_json(config);
    for (const auto& [key, value] : overrides.items())
        json[key] = value;
    return parse_model_config(json, source);
}

ModelConfig preset_config(const std::string& preset, std::int64_t vocab_size) {
    json j;
    if (preset == "gpt2-tiny") {
        j = {{"model_type", "gpt2"},
             {"n_embd", 128},
             {"n_layer", 4},
             {"n_head", 4},
             {"n_positions", 256}};
    } else if (preset == "gpt2-small") {
        j = {{"model_type", "gpt2"},
             {"n_embd", 768},
             {"n_layer", 12},
             {"n_head", 12},
             {"n_positions", 1024}};
    } else if (preset == "gpt2-medium") {
        j = {{"model_type", "gpt2"},
             {"n_embd", 1024},
             {"n_layer", 24},
             {"n_head", 16},
             {"n_positions", 1024}};
    } else if (preset == "llama-tiny") {
        j = {{"model_type", "llama"},          {"hidden_size", 128},
             {"intermediate_size", 344},       {"num_hidden_layers", 4},
             {"num_attention_heads", 4},       {"num_key_value_heads", 2},
             {"max_position_embeddings", 256}, {"rms_norm_eps", 1e-5}};
    } else if (preset == "llama-small") {
        j = {{"model_type", "llama"},           {"hidden_size", 768},
             {"intermediate_size", 2048},       {"num_hidden_layers", 12},
             {"num_attention_heads", 12},       {"num_key_value_heads", 4},
             {"max_position_embeddings", 2048}, {"rms_norm_eps", 1e-5}};
    } else {
        throw Error("model.preset \"" + preset + "\" is unknown (known: " + join(preset_names()) +
                    ")");
    }
    j["vocab_size"] = vocab_size;
    return parse_model_config(j, "model.preset " + preset);
}

std::int64_t count_parameters(const ModelConfig& c) {
    const std::int64_t h = c.hidden_size, v = c.vocab_size, inner = c.intermediate_size;
    std::int64_t per_layer = 0, total = 0;
    if (c.model_type == "gpt2") {
        per_layer = 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + 2 * h + (h * inner + inner) +
                    (inner * h + h);
        total = v * h + c.max_position_embeddings * h + c.num_hidden_layers * per_layer + 2 * h;
        if (!c.tie_word_embeddings)
            total += v * h;
    } else {
        const std::int64_t q = c.num_attention_heads * c.head_dim;
        const std::int64_t kv = c.num_key_value_heads * c.head_dim;
        per_layer = h * q + 2 * h * kv + q * h + 3 * h * inner + 2 * h;
        if (c.attention_bias)
            per_layer += q + 2 * kv + h;
        if (c.mlp_bias)
            per_layer += 2 * inner + h;
        total = v * h + c.num_hidden_layers * per_layer + h;
        if (!c.tie_word_embeddings)
            total += v * h;
    }
    return total;
}

}  // namespace lathe::core::models
