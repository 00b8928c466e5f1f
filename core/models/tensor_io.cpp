#include "core/models/tensor_io.h"

#include "core/util/error.h"

namespace lathe::core::models {

using safetensors::DType;

torch::ScalarType to_scalar_type(DType dtype, const std::string& context) {
    switch (dtype) {
        case DType::Bool:
            return torch::kBool;
        case DType::U8:
            return torch::kUInt8;
        case DType::I8:
            return torch::kInt8;
        case DType::I16:
            return torch::kInt16;
        case DType::I32:
            return torch::kInt32;
        case DType::I64:
            return torch::kInt64;
        case DType::F16:
            return torch::kFloat16;
        case DType::BF16:
            return torch::kBFloat16;
        case DType::F32:
            return torch::kFloat32;
        case DType::F64:
            return torch::kFloat64;
        default:
            break;
    }
    throw Error(context + ": dtype " + safetensors::dtype_name(dtype) +
                " has no libtorch equivalent in this build");
}

DType to_safetensors_dtype(torch::ScalarType type, const std::string& context) {
    switch (type) {
        case torch::kBool:
            return DType::Bool;
        case torch::kUInt8:
            return DType::U8;
        case torch::kInt8:
            return DType::I8;
        case torch::kInt16:
            return DType::I16;
        case torch::kInt32:
            return DType::I32;
        case torch::kInt64:
            return DType::I64;
        case torch::kFloat16:
            return DType::F16;
        case torch::kBFloat16:
            return DType::BF16;
        case torch::kFloat32:
            return DType::F32;
        case torch::kFloat64:
            return DType::F64;
        default:
            break;
    }
    throw Error(context + ": torch dtype " + std::string(c10::toString(type)) +
                " cannot be stored in safetensors by Lathe");
}

torch::ScalarType parse_torch_dtype(const std::string& name, const std::string& context) {
    if (name == "float32" || name == "fp32")
        return torch::kFloat32;
    if (name == "bfloat16" || name == "bf16")
        return torch::kBFloat16;
    if (name == "float16" || name == "fp16" || name == "half")
        return torch::kFloat16;
    if (name == "float64")
        return torch::kFloat64;
    throw Error(context + ": dtype \"" + name +
                "\" is not supported (supported: float32, bfloat16, float16, float64)");
}

std::string torch_dtype_name(torch::ScalarType type) {
    switch (type) {
        case torch::kFloat32:
            return "float32";
        case torch::kBFloat16:
            return "bfloat16";
        case torch::kFloat16:
            return "float16";
        case torch::kFloat64:
            return "float64";
        default:
            return c10::toString(type);
    }
}

torch::Tensor tensor_from_file(const safetensors::File& file, const safetensors::TensorInfo& info) {
    const auto type = to_scalar_type(info.dtype, file.path() + ": tensor \"" + info.name + "\"");
    const auto options = torch::TensorOptions().dtype(type);
    if (info.size_bytes() == 0) {
        return torch::empty(info.shape, options);
    }
    auto* data = const_cast<std::uint8_t*>(file.data(info));
    const auto element = static_cast<std::uintptr_t>(safetensors::dtype_size_bytes(info.dtype));
    if (reinterpret_cast<std::uintptr_t>(data) % element == 0) {
        auto keep_alive = file.mapping();
        return torch::from_blob(
            data, info.shape, [keep_alive](void*) mutable { keep_alive.reset(); }, options);
    }
    // Python's writer pads the header to 8 bytes, so only foreign files reach this copy.
    auto out = torch::empty(info.shape, options);
    std::memcpy(out.data_ptr(), data, info.size_bytes());
    return out;
}

std::vector<std::string> save_tensors(
    const std::string& dir, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
    std::uint64_t max_shard_bytes) {
    std::vector<torch::Tensor> keep;  // contiguous CPU copies must outlive the write
    std::vector<safetensors::TensorRef> refs;
    keep.reserve(tensors.size());
    refs.reserve(tensors.size());
    for (const auto& [name, tensor] : tensors) {
        auto cpu = tensor.detach().to(torch::kCPU).contiguous();
        keep.push_back(cpu);
        safetensors::TensorRef ref;
        ref.name = name;
        ref.dtype = to_safetensors_dtype(cpu.scalar_type(), "tensor \"" + name + "\"");
        ref.shape = cpu.sizes().vec();
        ref.data = cpu.data_ptr();
        ref.size_bytes = static_cast<std::uint64_t>(cpu.nbytes());
        refs.push_back(std::move(ref));
    }
    return safetensors::write_sharded(dir, refs, max_shard_bytes);
}

}  // namespace lathe::core::models
