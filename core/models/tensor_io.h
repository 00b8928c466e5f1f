#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/safetensors/safetensors.h"

namespace lathe::core::models {

torch::ScalarType to_scalar_type(safetensors::DType dtype, const std::string& context);
safetensors::DType to_safetensors_dtype(torch::ScalarType type, const std::string& context);
torch::ScalarType parse_torch_dtype(const std::string& name, const std::string& context);
std::string torch_dtype_name(torch::ScalarType type);

// A CPU tensor over the mapped bytes, without copying when the data is aligned for its element
// type (the mapping is kept alive by the tensor); otherwise a copy.
torch::Tensor tensor_from_file(const safetensors::File& file, const safetensors::TensorInfo& info);

// Writes tensors (moved to CPU, made contiguous) as safetensors; sharded above max_shard_bytes.
std::vector<std::string> save_tensors(
    const std::string& dir, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
    std::uint64_t max_shard_bytes);

}  // namespace lathe::core::models
