#include "core/models/rotary.h"

#include <cmath>

namespace lathe::core::models {

torch::Tensor rope_inverse_frequencies(const ModelConfig& c) {
    const auto dim = c.head_dim;
    auto exponents =
        torch::arange(0, dim, 2, torch::kLong).to(torch::kFloat32) / static_cast<float>(dim);
    auto inv_freq = 1.0 / torch::pow(c.rope_theta, exponents);
    const auto& s = c.rope_scaling;
    if (s.rope_type == "linear") {
        inv_freq = inv_freq / s.factor;
    } else if (s.rope_type == "llama3") {
        const double old_len = static_cast<double>(s.original_max_position_embeddings);
        const double low_freq_wavelen = old_len / s.low_freq_factor;
        const double high_freq_wavelen = old_len / s.high_freq_factor;
        auto wavelen = 2.0 * M_PI / inv_freq;
        auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
        auto smooth =
            (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
        auto medium = torch::logical_not(wavelen < high_freq_wavelen)
                          .logical_and(torch::logical_not(wavelen > low_freq_wavelen));
        inv_freq = torch::where(medium, smoothed, scaled);
    }
    return inv_freq.to(torch::kFloat32);
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq,
                                                     std::int64_t t) {
    auto positions = torch::arange(t, torch::dtype(torch::kFloat32).device(inv_freq.device()));
    auto freqs = torch::outer(positions, inv_freq);
    auto emb = torch::cat({freqs, freqs}, -1);
    return {emb.cos(), emb.sin()};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin) {
    const auto half = x.size(-1) / 2;
    auto x1 = x.narrow(-1, 0, half);
    auto x2 = x.narrow(-1, half, half);
    auto rotated = torch::cat({-x2, x1}, -1);
    return x * cos + rotated * sin;
}

}  // namespace lathe::core::models
