#include "core/trainer/adafactor.h"

#include <cmath>

#include "core/trainer/optimizer_state_key.h"

namespace lathe::core::trainer {

namespace {

torch::Tensor rms(const torch::Tensor& t) {
    return t.norm(2) / std::sqrt(static_cast<double>(t.numel()));
}

}  // namespace

Adafactor::Adafactor(std::vector<torch::optim::OptimizerParamGroup> groups,
                     AdafactorOptions defaults)
    : Optimizer(std::move(groups), std::make_unique<AdafactorOptions>(std::move(defaults))) {}

torch::Tensor Adafactor::step(LossClosure closure) {
    torch::NoGradGuard no_grad;
    torch::Tensor loss;
    if (closure) {
        torch::AutoGradMode enable(true);
        loss = closure();
    }
    for (auto& group : param_groups_) {
        const auto& o = static_cast<const AdafactorOptions&>(group.options());
        for (auto& p : group.params()) {
            if (!p.grad().defined())
                continue;
            // Transformers computes in float32 whatever the parameter's dtype.
            const torch::Tensor grad = p.grad().to(torch::kFloat32);
            const bool factored = grad.dim() >= 2;
            const bool first_moment = o.beta1().has_value();
            auto& slot = state_[optimizer_state_key(state_, p)];
            if (!slot) {
                auto s = std::make_unique<AdafactorParamState>();
                if (first_moment)
                    s->exp_avg(torch::zeros_like(grad));
                if (factored) {
                    s->exp_avg_sq_row(
                        torch::zeros(grad.sizes().slice(0, grad.dim() - 1), grad.options()));
                    std::vector<std::int64_t> col(grad.sizes().begin(), grad.sizes().end() - 2);
                    col.push_back(grad.size(-1));
                    s->exp_avg_sq_col(torch::zeros(col, grad.options()));
                } else {
                    s->exp_avg_sq(torch::zeros_like(grad));
                }
                s->rms(torch::zeros({}, grad.options()));
                slot = std::move(s);
            }
            auto& s = static_cast<AdafactorParamState&>(*slot);
            torch::Tensor p32 = p.scalar_type() == torch::kFloat32 ? p : p.to(torch::kFloat32);
            s.step(s.step() + 1);
            s.rms(rms(p32));
            double lr = o.lr();
            if (o.scale_parameter())
                lr *= std::max(o.eps2(), s.rms().item<double>());
            const double beta2t = 1.0 - std::pow(static_cast<double>(s.step()), o.decay_rate());
            torch::Tensor update = grad * grad + o.eps1();
            if (factored) {
                s.exp_avg_sq_row().mul_(beta2t).add_(update.mean(-1), 1.0 - beta2t);
                s.exp_avg_sq_col().mul_(beta2t).add_(update.mean(-2), 1.0 - beta2t);
                const auto& row = s.exp_avg_sq_row();
                const auto r_factor = (row / row.mean(-1, true)).rsqrt_().unsqueeze(-1);
                const auto c_factor = s.exp_avg_sq_col().unsqueeze(-2).rsqrt();
                update = torch::mul(r_factor, c_factor);
                update.mul_(grad);
            } else {
                s.exp_avg_sq().mul_(beta2t).add_(update, 1.0 - beta2t);
                update = s.exp_avg_sq().rsqrt().mul_(grad);
            }
            update.div_((rms(update) / o.clip_threshold()).clamp_(1.0));
            update.mul_(lr);
            if (first_moment) {
                s.exp_avg().mul_(*o.beta1()).add_(update, 1.0 - *o.beta1());
                update = s.exp_avg();
            }
            if (o.weight_decay() != 0.0)
                p32.add_(p32, -o.weight_decay() * lr);
            p32.add_(-update);
            if (p32.data_ptr() != p.data_ptr())
                p.copy_(p32);
        }
    }
    return loss;
}

}  // namespace lathe::core::trainer
