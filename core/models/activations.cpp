#include "core/models/activations.h"

#include "core/util/error.h"

namespace lathe::core::models {

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
    // gelu_new is the tanh approximation; torch's fused kernel computes the same formula.
    if (name == "gelu_new" || name == "gelu_pytorch_tanh")
        return torch::gelu(x, "tanh");
    if (name == "gelu")
        return torch::gelu(x);
    if (name == "silu")
        return torch::silu(x);
    if (name == "relu")
        return torch::relu(x);
    throw Error("activation \"" + name + "\" is not supported");
}

}  // namespace lathe::core::models
