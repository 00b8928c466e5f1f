#pragma once

#include <torch/torch.h>

namespace lathe::core::models {

// Linear and Embedding whose parameters are allocated but not initialised: every weight is
// either loaded from a file or set by the model's init_weights(), so libtorch's own default
// initialisation would only burn time (a quarter second for GPT-2 small) and be overwritten.
class LinearImpl : public torch::nn::Module {
  public:
    LinearImpl(std::int64_t in_features, std::int64_t out_features, bool bias);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

class EmbeddingImpl : public torch::nn::Module {
  public:
    EmbeddingImpl(std::int64_t num_embeddings, std::int64_t embedding_dim);
    torch::Tensor forward(const torch::Tensor& ids);
    torch::Tensor weight;
};
TORCH_MODULE(Embedding);

}  // namespace lathe::core::models
