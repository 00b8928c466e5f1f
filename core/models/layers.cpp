#include "core/models/layers.h"

namespace lathe::core::models {

LinearImpl::LinearImpl(std::int64_t in_features, std::int64_t out_features, bool with_bias) {
    weight = register_parameter("weight", torch::empty({out_features, in_features}));
    if (with_bias) {
        bias = register_parameter("bias", torch::empty({out_features}));
    }
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
    return torch::nn::functional::linear(x, weight, bias);
}

EmbeddingImpl::EmbeddingImpl(std::int64_t num_embeddings, std::int64_t embedding_dim) {
    weight = register_parameter("weight", torch::empty({num_embeddings, embedding_dim}));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) {
    return torch::embedding(weight, ids);
}

}  // namespace lathe::core::models
