#pragma once

#include <torch/torch.h>

#include <optional>
#include <vector>

namespace lathe::core::trainer {

// Transformers' Adafactor (transformers.optimization.Adafactor) with the options Trainer gives it
// for optim="adafactor": scale_parameter=False, relative_step=False, warmup_init=False, the
// learning rate from the schedule. Factored second moments for tensors of rank >= 2, update
// clipping by RMS, optional first moment (beta1), weight decay scaled by the learning rate.
struct AdafactorOptions : public torch::optim::OptimizerCloneableOptions<AdafactorOptions> {
    explicit AdafactorOptions(double lr = 1e-3) : lr_(lr) {}
    TORCH_ARG(double, lr);
    TORCH_ARG(double, eps1) = 1e-30;  // added to squared gradients
    TORCH_ARG(double, eps2) = 1e-3;   // lower bound of the parameter scale
    TORCH_ARG(double, clip_threshold) = 1.0;
    TORCH_ARG(double, decay_rate) = -0.8;
    TORCH_ARG(std::optional<double>, beta1) = std::nullopt;
    TORCH_ARG(double, weight_decay) = 0.0;
    TORCH_ARG(bool, scale_parameter) = false;

  public:
    double get_lr() const override { return lr(); }
    void set_lr(const double lr) override { this->lr(lr); }
};

struct AdafactorParamState
    : public torch::optim::OptimizerCloneableParamState<AdafactorParamState> {
    TORCH_ARG(std::int64_t, step) = 0;
    TORCH_ARG(torch::Tensor, exp_avg);         // first moment, when beta1 is set
    TORCH_ARG(torch::Tensor, exp_avg_sq_row);  // factored second moment (rank >= 2)
    TORCH_ARG(torch::Tensor, exp_avg_sq_col);
    TORCH_ARG(torch::Tensor, exp_avg_sq);  // unfactored second moment (rank < 2)
    TORCH_ARG(torch::Tensor, rms);         // RMS of the parameter before the last update
};

class Adafactor : public torch::optim::Optimizer {
  public:
    Adafactor(std::vector<torch::optim::OptimizerParamGroup> groups,
              AdafactorOptions defaults = AdafactorOptions());
    torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace lathe::core::trainer
