#include "core/models/llama.h"

#include <cmath>

#include "core/models/activation_checkpointing.h"
#include "core/models/activations.h"
#include "core/models/attention.h"
#include "core/models/rotary.h"

namespace lathe::core::models {
namespace F = torch::nn::functional;

RmsNormImpl::RmsNormImpl(std::int64_t size, double eps) : eps_(eps) {
    weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
    // In fp32 whatever the input dtype, then back, as LlamaRMSNorm does.
    auto h = x.to(torch::kFloat32);
    auto variance = h.pow(2).mean(-1, /*keepdim=*/true);
    h = h * torch::rsqrt(variance + eps_);
    return weight * h.to(x.scalar_type());
}

namespace {
Linear linear(std::int64_t in, std::int64_t out, bool bias) {
    return Linear(in, out, bias);
}
}  // namespace

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const ModelConfig& c) : config_(c) {
    const auto h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
               kv = c.num_key_value_heads * c.head_dim;
    self_attn_ = register_module("self_attn", std::make_shared<torch::nn::Module>());
    q_proj_ = self_attn_->register_module("q_proj", linear(h, q, c.attention_bias));
    k_proj_ = self_attn_->register_module("k_proj", linear(h, kv, c.attention_bias));
    v_proj_ = self_attn_->register_module("v_proj", linear(h, kv, c.attention_bias));
    o_proj_ = self_attn_->register_module("o_proj", linear(q, h, c.attention_bias));
    mlp_ = register_module("mlp", std::make_shared<torch::nn::Module>());
    gate_proj_ = mlp_->register_module("gate_proj", linear(h, c.intermediate_size, c.mlp_bias));
    up_proj_ = mlp_->register_module("up_proj", linear(h, c.intermediate_size, c.mlp_bias));
    down_proj_ = mlp_->register_module("down_proj", linear(c.intermediate_size, h, c.mlp_bias));
    input_layernorm_ = register_module("input_layernorm", RmsNorm(h, c.norm_eps));
    post_attention_layernorm_ = register_module("post_attention_layernorm", RmsNorm(h, c.norm_eps));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& hidden, const torch::Tensor& cos,
                                             const torch::Tensor& sin) {
    const auto b = hidden.size(0), t = hidden.size(1);
    const auto heads = config_.num_attention_heads, kv_heads = config_.num_key_value_heads,
               d = config_.head_dim;
    auto x = input_layernorm_(hidden);
    auto q = q_proj_(x).view({b, t, heads, d}).transpose(1, 2);
    auto k = k_proj_(x).view({b, t, kv_heads, d}).transpose(1, 2);
    auto v = v_proj_(x).view({b, t, kv_heads, d}).transpose(1, 2);
    const auto dtype = q.scalar_type();
    q = apply_rope(q, cos, sin).to(dtype);
    k = apply_rope(k, cos, sin).to(dtype);
    const auto n_rep = heads / kv_heads;
    auto context = causal_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep),
                                    1.0 / std::sqrt(static_cast<double>(d)),
                                    config_.attention_dropout, is_training());
    auto attn_out = o_proj_(context.transpose(1, 2).reshape({b, t, heads * d}));
    auto h = hidden + attn_out;
    auto y = post_attention_layernorm_(h);
    auto m = down_proj_(activation(config_.hidden_act, gate_proj_(y)) * up_proj_(y));
    return h + m;
}

LlamaForCausalLM::LlamaForCausalLM(const ModelConfig& config) : CausalLanguageModel(config) {
    const auto h = config_.hidden_size;
    model_ = register_module("model", std::make_shared<torch::nn::Module>());
    embed_tokens_ = model_->register_module("embed_tokens", Embedding(config_.vocab_size, h));
    layers_ = model_->register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config_.num_hidden_layers; ++i) {
        layers_->push_back(LlamaDecoderLayer(config_));
    }
    norm_ = model_->register_module("norm", RmsNorm(h, config_.norm_eps));
    if (!config_.tie_word_embeddings) {
        lm_head_ = register_module("lm_head", linear(h, config_.vocab_size, false));
    }
    inv_freq_ = rope_inverse_frequencies(config_);
}

torch::Tensor LlamaForCausalLM::forward(const torch::Tensor& input_ids) {
    const auto t = input_ids.size(1);
    if (inv_freq_.device() != input_ids.device()) {
        inv_freq_ = inv_freq_.to(input_ids.device());
    }
    auto x = add_neftune_noise(embed_tokens_(input_ids));
    auto [cos, sin] = rope_cos_sin(inv_freq_, t);
    cos = cos.to(x.scalar_type());
    sin = sin.to(x.scalar_type());
    const bool recompute =
        gradient_checkpointing_ && is_training() && torch::GradMode::is_enabled();
    for (const auto& layer : *layers_) {
        auto* l = layer->as<LlamaDecoderLayerImpl>();
        x = recompute
                ? checkpointed(
                      [l, cos, sin](const torch::Tensor& h) { return l->forward(h, cos, sin); }, x)
                : l->forward(x, cos, sin);
    }
    x = norm_(x);
    return config_.tie_word_embeddings ? F::linear(x, embed_tokens_->weight) : lm_head_(x);
}

std::vector<std::string> LlamaForCausalLM::tied_parameter_names() const {
    if (config_.tie_word_embeddings)
        return {"lm_head.weight"};
    return {};
}

void LlamaForCausalLM::init_weights() {
    torch::NoGradGuard no_grad;
    const double std = config_.initializer_range;
    for (auto& item : named_parameters()) {
        const std::string& name = item.key();
        auto& p = item.value();
        if (name.find("norm.weight") != std::string::npos) {
            p.fill_(1.0);
        } else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
            p.zero_();
        } else {
            p.normal_(0.0, std);
        }
    }
    if (config_.pad_token_id && *config_.pad_token_id >= 0 &&
        *config_.pad_token_id < config_.vocab_size) {
        embed_tokens_->weight[*config_.pad_token_id].zero_();
    }
}

}  // namespace lathe::core::models
