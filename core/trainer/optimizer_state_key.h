#pragma once

#include <torch/torch.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace lathe::core::trainer {

// The key of a parameter in torch::optim::Optimizer::state(): libtorch 1.x keys it by the
// TensorImpl address printed as a string, 2.x by the address itself.
template <typename Map>
typename Map::key_type optimizer_state_key(const Map&, const torch::Tensor& p) {
    if constexpr (std::is_same_v<typename Map::key_type, std::string>) {
        std::ostringstream out;
        out << p.unsafeGetTensorImpl();
        return out.str();
    } else {
        return p.unsafeGetTensorImpl();
    }
}

}  // namespace lathe::core::trainer
