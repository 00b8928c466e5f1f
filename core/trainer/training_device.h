#pragma once

#include <cstdint>

#include <torch/types.h>

namespace lathe::core::trainer {

// The device a rank trains on: the CPU when `use_cpu` is set or no CUDA device is visible, else
// cuda:<local_rank> of the devices CUDA_VISIBLE_DEVICES shows, which becomes the process's current
// CUDA device (as torchrun scripts call torch.cuda.set_device) so that nothing of this rank lands
// on GPU 0 by default. A SLURM task that sees exactly one GPU (srun --gpus-per-task=1) takes it,
// whatever its SLURM_LOCALID (not when LOCAL_RANK is set: torchrun's ranks share the node's GPUs).
// Otherwise throws Error naming LOCAL_RANK and the visible count when there are fewer CUDA devices
// than ranks on the node.
torch::Device training_device(std::int64_t local_rank, bool use_cpu);

}  // namespace lathe::core::trainer
