#include "core/models/attention.h"

#include <map>
#include <string>
#include <tuple>

#include "core/models/torch_compat.h"

namespace lathe::core::models {

#if !LATHE_TORCH_HAS_SDPA_SCALE
namespace {

// True above the diagonal: the keys a query may not see. Cached per thread (shapes repeat).
torch::Tensor causal_mask(std::int64_t t_q, std::int64_t t_k, const torch::Device& device) {
    thread_local std::map<std::tuple<std::int64_t, std::int64_t, std::string>, torch::Tensor> cache;
    auto key = std::make_tuple(t_q, t_k, device.str());
    auto it = cache.find(key);
    if (it != cache.end())
        return it->second;
    auto mask =
        torch::ones({t_q, t_k}, torch::dtype(torch::kBool).device(device)).triu(t_k - t_q + 1);
    cache.emplace(key, mask);
    return mask;
}

}  // namespace
#endif

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
    // Scaling q ([t, d]) is cheaper than scaling the scores ([t, t]); the causal mask is built once
    // per shape and device instead of once per layer and step.
    auto scores = torch::matmul(q * scale, k.transpose(-1, -2));
    scores.masked_fill_(causal_mask(t_q, t_k, q.device()), -std::numeric_limits<float>::infinity());
    auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    if (p > 0.0) {
        probs = torch::dropout(probs, p, /*train=*/true);
    }
    return torch::matmul(probs, v);
#endif
}

torch::Tensor repeat_kv(const torch::Tensor& x, std::int64_t n_rep) {
    if (n_rep == 1)
        return x;
    const auto b = x.size(0), kv = x.size(1), t = x.size(2), d = x.size(3);
    return x.unsqueeze(2).expand({b, kv, n_rep, t, d}).reshape({b, kv * n_rep, t, d});
}

}  // namespace lathe::core::models
