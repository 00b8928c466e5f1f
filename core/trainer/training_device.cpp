#include "core/trainer/training_device.h"

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/cuda.h>

#include <cstdlib>
#include <string>

#include "core/util/error.h"

namespace lathe::core::trainer {

torch::Device training_device(std::int64_t local_rank, bool use_cpu) {
    if (use_cpu || !torch::cuda::is_available())
        return torch::kCPU;
    const auto visible = static_cast<std::int64_t>(torch::cuda::device_count());
    // srun --gpus-per-task=1 (or --gpu-bind) shows each task only its own GPU while
    // SLURM_LOCALID counts the node's tasks: that one GPU is this rank's. Not under a launcher
    // that sets LOCAL_RANK (torchrun inside an allocation), whose ranks share the node's GPUs.
    if (visible == 1 && local_rank > 0 && std::getenv("SLURM_LOCALID") != nullptr &&
        std::getenv("LOCAL_RANK") == nullptr)
        local_rank = 0;
    if (local_rank < 0 || local_rank >= visible) {
        const char* mask = std::getenv("CUDA_VISIBLE_DEVICES");
        throw Error("LOCAL_RANK = " + std::to_string(local_rank) + " but " +
                    std::to_string(visible) + " CUDA device(s) are visible" +
                    (mask != nullptr ? std::string(" (CUDA_VISIBLE_DEVICES=") + mask + ")" : "") +
                    ": start at most " + std::to_string(visible) +
                    " processes per node, or set training_args.use_cpu for CPU processes");
    }
    const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
    // Through the device-guard registry rather than c10/cuda, which CPU builds of libtorch lack.
    c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(device);
    return device;
}

}  // namespace lathe::core::trainer
