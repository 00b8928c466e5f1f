#pragma once

#include <torch/torch.h>

namespace lathe::core::models {

// Causal softmax attention. q [b, h, t, d], k/v [b, h, t, d] (key/value heads already repeated).
// Softmax in fp32 as Transformers' eager path does; uses fused SDPA on libtorch >= 2.1.
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, double scale, double dropout_p,
                               bool training);

// Transformers' repeat_kv: [b, kv, t, d] -> [b, kv * n_rep, t, d], each kv head repeated n_rep
// times in place (head i serves query heads i*n_rep .. i*n_rep+n_rep-1).
torch::Tensor repeat_kv(const torch::Tensor& x, std::int64_t n_rep);

}  // namespace lathe::core::models
