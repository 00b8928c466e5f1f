#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/safetensors/dtype.h"

namespace lathe::core::safetensors {

// A tensor to write: contiguous bytes in the dtype's little-endian layout, not owned.
struct TensorRef {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void* data = nullptr;
    std::uint64_t size_bytes = 0;
};

// Writes a .safetensors file byte-identical to Python's safetensors.torch.save_file(tensors,
// path, metadata): tensors ordered by dtype (the Rust Dtype order: U64, I64, F64, F32, U32, I32,
// BF16, F16, U16, I16, F8_E4M3, F8_E5M2, I8, U8, BOOL), then by name; compact JSON header padded
// with spaces to a multiple of 8. Two deliberate differences: metadata keys are written sorted
// (Python writes them in random HashMap order, so it only matches for a single key), and an
// empty `metadata` writes no "__metadata__" (as Python's metadata=None). Streams to path + ".tmp",
// fsyncs and renames, so readers never see a torn file. Validates names (UTF-8, unique, not
// "__metadata__"), shapes, size_bytes == numel * dtype size, and data != nullptr.
void write_file(const std::string& path, const std::vector<TensorRef>& tensors,
                const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// Saves like transformers' save_pretrained (huggingface_hub's split_torch_state_dict_into_shards):
// tensors are taken in the given order; a tensor larger than max_shard_bytes becomes a shard of
// its own at the point it is met (the shard being filled stays open and continues after it); any
// other tensor starts a new shard when it would push the current one over the limit. One shard
// -> "<dir>/model.safetensors"; several -> "model-00001-of-0000N.safetensors"... plus
// "model.safetensors.index.json" ({"metadata": {"total_size": bytes}, "weight_map": {...}}, sorted
// keys, indent 2, trailing newline, as json.dumps(..., indent=2, sort_keys=True) + "\n").
// No tensors -> an empty model.safetensors. Creates `dir` if needed. After writing, removes what a
// previous save left that is not part of this one: model.safetensors, the index, and
// model-NNNNN-of-NNNNN.safetensors files. Returns the file names written (shards, then index).
std::vector<std::string> write_sharded(
    const std::string& dir, const std::vector<TensorRef>& tensors, std::uint64_t max_shard_bytes,
    const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace lathe::core::safetensors
