#include "core/models/attention.h"

#include "core/models/torch_compat.h"

namespace lathe::core::models {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, double scale, double dropout_p,
                               bool training) {
    const double p = training ? dropout_p : 0.0;
#if LATHE_TORCH_HAS_SDPA_SCALE
    return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, p, /*is_causal=*/true,
                                            scale);
#else
    const auto t_q = q.size(-2);
    const auto t_k = k.size(-2);
    auto scores = torch::matmul(q, k.transpose(-1, -2)) * scale;
    auto mask = torch::ones({t_q, t_k}, torch::dtype(torch::kBool).device(q.device()))
                    .triu(t_k - t_q + 1);
    scores = scores.masked_fill(mask, -std::numeric_limits<float>::infinity());
    auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    if (p > 0.0) {
        probs = torch::dropout(probs, p, /*train=*/true);
    }
    return torch::matmul(probs, v);
#endif
}

torch::Tensor repeat_kv(const torch::Tensor& x, std::int64_t n_rep) {
    if (n_rep == 1) return x;
    const auto b = x.size(0), kv = x.size(1), t = x.size(2), d = x.size(3);
    return x.unsqueeze(2).expand({b, kv, n_rep, t, d}).reshape({b, kv * n_rep, t, d});
}

}  // namespace lathe::core::models
