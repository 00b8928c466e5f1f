#include "core/trainer/batches.h"

#include <cstring>

namespace lathe::core::trainer {

torch::Tensor make_batch(const data::TokenBlocks& blocks, const std::vector<std::int64_t>& indices,
                         const torch::Device& device) {
    const auto t = blocks.block_size();
    auto ids32 = torch::empty({static_cast<std::int64_t>(indices.size()), t}, torch::kInt32);
    auto* out = ids32.data_ptr<std::int32_t>();
    for (std::size_t r = 0; r < indices.size(); ++r) {
        std::memcpy(out + r * static_cast<std::size_t>(t), blocks.block(indices[r]),
                    static_cast<std::size_t>(t) * sizeof(std::int32_t));
    }
    return ids32.to(device, torch::kLong);
}

}  // namespace lathe::core::trainer
