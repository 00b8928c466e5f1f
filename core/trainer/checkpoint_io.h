#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace lathe::core::trainer {

// optimizer.pt as Python's torch.save(optimizer.state_dict()) lays it out (written with
// pickle_for_python, which torch.load reads also with weights_only=True): {"state": {index:
// {"step", "exp_avg", "exp_avg_sq"}}, "param_groups": [{..., "params": [indices]}]}. Indices count
// the parameters group by group, as torch does, so Transformers' Trainer can resume from it.
void save_optimizer_state(const torch::optim::Optimizer& optimizer, const std::string& path);
// Reads the same file back into `optimizer` (same groups and parameter shapes; errors name the
// file and the mismatch).
void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& path);

// scheduler.pt as LambdaLR.state_dict() is for Transformers' schedules.
void save_scheduler_state(const std::vector<double>& base_lrs, std::int64_t last_epoch,
                          double last_lr, const std::string& path);

// Lathe's own RNG file (Transformers' rng_state.pth must hold Python and numpy states, which
// Lathe does not have): the CPU generator and, when present, every CUDA generator.
void save_rng_state(const std::string& path);
void load_rng_state(const std::string& path);

}  // namespace lathe::core::trainer
