#include "core/models/gpt2.h"

#include <cmath>

#include "core/models/activation_checkpointing.h"
#include "core/models/activations.h"
#include "core/models/attention.h"

namespace lathe::core::models {
namespace F = torch::nn::functional;

Conv1DImpl::Conv1DImpl(std::int64_t in_features, std::int64_t out_features) {
    weight = register_parameter("weight", torch::empty({in_features, out_features}));
    bias = register_parameter("bias", torch::zeros({out_features}));
}

torch::Tensor Conv1DImpl::forward(const torch::Tensor& x) {
    auto sizes = x.sizes().vec();
    sizes.back() = weight.size(1);
    return torch::addmm(bias, x.reshape({-1, x.size(-1)}), weight).view(sizes);
}

Gpt2BlockImpl::Gpt2BlockImpl(const ModelConfig& config, std::int64_t layer_index)
    : config_(config), layer_index_(layer_index) {
    const auto h = config.hidden_size;
    auto ln_options = torch::nn::LayerNormOptions({h}).eps(config.norm_eps);
    ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln_options));
    attn = register_module("attn", std::make_shared<torch::nn::Module>());
    c_attn = attn->register_module("c_attn", Conv1D(h, 3 * h));
    attn_c_proj = attn->register_module("c_proj", Conv1D(h, h));
    ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln_options));
    mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
    c_fc = mlp->register_module("c_fc", Conv1D(h, config.intermediate_size));
    mlp_c_proj = mlp->register_module("c_proj", Conv1D(config.intermediate_size, h));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor& hidden) {
    const auto b = hidden.size(0), t = hidden.size(1), h = config_.hidden_size;
    const auto heads = config_.num_attention_heads, d = h / heads;

    auto qkv = c_attn(ln_1(hidden)).split(h, -1);
    auto shape = [&](const torch::Tensor& x) { return x.view({b, t, heads, d}).transpose(1, 2); };
    double scale = config_.scale_attn_weights ? 1.0 / std::sqrt(static_cast<double>(d)) : 1.0;
    if (config_.scale_attn_by_inverse_layer_idx) {
        scale /= static_cast<double>(layer_index_ + 1);
    }
    auto q = shape(qkv[0]), k = shape(qkv[1]), v = shape(qkv[2]);
    if (config_.reorder_and_upcast_attn) {
        // Transformers computes these scores in fp32 for stability; do the same.
        q = q.to(torch::kFloat32);
        k = k.to(torch::kFloat32);
        v = v.to(torch::kFloat32);
    }
    auto context = causal_attention(q, k, v, scale, config_.attn_pdrop, is_training())
                       .to(hidden.scalar_type())
                       .transpose(1, 2)
                       .reshape({b, t, h});
    auto x =
        hidden + F::dropout(attn_c_proj(context),
                            F::DropoutFuncOptions().p(config_.resid_pdrop).training(is_training()));
    auto m = mlp_c_proj(activation(config_.hidden_act, c_fc(ln_2(x))));
    return x +
           F::dropout(m, F::DropoutFuncOptions().p(config_.resid_pdrop).training(is_training()));
}

Gpt2LMHeadModel::Gpt2LMHeadModel(const ModelConfig& config) : CausalLanguageModel(config) {
    const auto h = config_.hidden_size;
    transformer_ = register_module("transformer", std::make_shared<torch::nn::Module>());
    wte_ = transformer_->register_module("wte", Embedding(config_.vocab_size, h));
    wpe_ = transformer_->register_module("wpe", Embedding(config_.max_position_embeddings, h));
    drop_ = transformer_->register_module("drop", torch::nn::Dropout(config_.embd_pdrop));
    h_ = transformer_->register_module("h", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config_.num_hidden_layers; ++i) {
        h_->push_back(Gpt2Block(config_, i));
    }
    ln_f_ = transformer_->register_module(
        "ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(config_.norm_eps)));
    if (!config_.tie_word_embeddings) {
        lm_head_ = register_module("lm_head", Linear(h, config_.vocab_size, false));
    }
}

torch::Tensor Gpt2LMHeadModel::forward(const torch::Tensor& input_ids) {
    const auto t = input_ids.size(1);
    TORCH_CHECK(t <= config_.max_position_embeddings, "sequence length ", t,
                " exceeds n_positions ", config_.max_position_embeddings);
    auto positions = torch::arange(t, torch::dtype(torch::kLong).device(input_ids.device()));
    auto x = drop_(add_neftune_noise(wte_(input_ids)) + wpe_(positions).unsqueeze(0));
    const bool recompute =
        gradient_checkpointing_ && is_training() && torch::GradMode::is_enabled();
    for (const auto& block : *h_) {
        auto* b = block->as<Gpt2BlockImpl>();
        x = recompute ? checkpointed([b](const torch::Tensor& h) { return b->forward(h); }, x)
                      : b->forward(x);
    }
    x = ln_f_(x);
    return config_.tie_word_embeddings ? F::linear(x, wte_->weight) : lm_head_(x);
}

std::vector<std::string> Gpt2LMHeadModel::tied_parameter_names() const {
    if (config_.tie_word_embeddings)
        return {"lm_head.weight"};
    return {};
}

void Gpt2LMHeadModel::init_weights() {
    torch::NoGradGuard no_grad;
    const double std = config_.initializer_range;
    // Residual projections are scaled by 1/sqrt(2 * n_layer) (GPT-2 paper, Transformers).
    const double proj_std = std / std::sqrt(2.0 * static_cast<double>(config_.num_hidden_layers));
    for (auto& item : named_parameters()) {
        const std::string& name = item.key();
        auto& p = item.value();
        const bool is_norm = name.find("ln_") != std::string::npos;
        if (is_norm) {
            name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? p.fill_(1.0)
                                                                                : p.zero_();
        } else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
            p.zero_();
        } else if (name.find("c_proj.weight") != std::string::npos) {
            p.normal_(0.0, proj_std);
        } else {
            p.normal_(0.0, std);
        }
    }
}

}  // namespace lathe::core::models
