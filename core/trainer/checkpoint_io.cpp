#include "core/trainer/checkpoint_io.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>

#include <fstream>

#include "core/trainer/adafactor.h"
#include "core/trainer/optimizer_state_key.h"
#include "core/trainer/python_pickle.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::trainer {
namespace {

using c10::IValue;

// Optimizer state is written from host memory: a checkpoint taken on a GPU then loads on a
// CPU-only machine too (torch.load would otherwise need map_location), and Transformers moves
// the state to the parameters' device when it loads it.
IValue host(const torch::Tensor& t) {
    return t.defined() ? IValue(t.to(torch::kCPU)) : IValue();  // None, as Python writes it
}

c10::impl::GenericDict make_dict() {
    return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

}  // namespace

void save_optimizer_state(const torch::optim::Optimizer& optimizer, const std::string& path) {
    auto state = c10::impl::GenericDict(c10::IntType::get(), c10::AnyType::get());
    c10::impl::GenericList groups(c10::AnyType::get());
    std::int64_t index = 0;
    for (const auto& group : optimizer.param_groups()) {
        auto g = make_dict();
        c10::impl::GenericList indices(c10::AnyType::get());
        const auto* adamw = dynamic_cast<const torch::optim::AdamWOptions*>(&group.options());
        const auto* sgd = dynamic_cast<const torch::optim::SGDOptions*>(&group.options());
        const auto* adafactor = dynamic_cast<const AdafactorOptions*>(&group.options());
        for (const auto& p : group.params()) {
            auto it = optimizer.state().find(optimizer_state_key(optimizer.state(), p));
            if (it != optimizer.state().end() && adamw) {
                const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
                auto entry = make_dict();
                // Python keeps `step` as a float tensor since torch 1.12.
                entry.insert("step", torch::tensor(static_cast<float>(s.step())));
                entry.insert("exp_avg", host(s.exp_avg()));
                entry.insert("exp_avg_sq", host(s.exp_avg_sq()));
                state.insert(index, entry);
            } else if (it != optimizer.state().end() && sgd) {
                const auto& s = static_cast<const torch::optim::SGDParamState&>(*it->second);
                auto entry = make_dict();
                entry.insert("momentum_buffer", host(s.momentum_buffer()));
                state.insert(index, entry);
            } else if (it != optimizer.state().end() && adafactor) {
                // Transformers' Adafactor keeps `step` as a Python int and `RMS` as a tensor.
                const auto& s = static_cast<const AdafactorParamState&>(*it->second);
                auto entry = make_dict();
                entry.insert("step", s.step());
                entry.insert("RMS", host(s.rms()));
                for (const auto& [name, tensor] :
                     {std::pair<const char*, torch::Tensor>{"exp_avg", s.exp_avg()},
                      {"exp_avg_sq_row", s.exp_avg_sq_row()},
                      {"exp_avg_sq_col", s.exp_avg_sq_col()},
                      {"exp_avg_sq", s.exp_avg_sq()}}) {
                    if (tensor.defined())
                        entry.insert(name, host(tensor));
                }
                state.insert(index, entry);
            }
            indices.push_back(index++);
        }
        if (adamw) {
            g.insert("lr", adamw->lr());
            g.insert("betas", c10::ivalue::Tuple::create(
                                  {std::get<0>(adamw->betas()), std::get<1>(adamw->betas())}));
            g.insert("eps", adamw->eps());
            g.insert("weight_decay", adamw->weight_decay());
            g.insert("amsgrad", adamw->amsgrad());
            g.insert("foreach", IValue());
            g.insert("maximize", false);
            g.insert("capturable", false);
            g.insert("differentiable", false);
            g.insert("fused", IValue());
        } else if (sgd) {
            g.insert("lr", sgd->lr());
            g.insert("momentum", sgd->momentum());
            g.insert("dampening", sgd->dampening());
            g.insert("weight_decay", sgd->weight_decay());
            g.insert("nesterov", sgd->nesterov());
            g.insert("maximize", false);
            g.insert("foreach", IValue());
            g.insert("differentiable", false);
        } else if (adafactor) {
            g.insert("lr", adafactor->lr());
            g.insert("eps", c10::ivalue::Tuple::create({adafactor->eps1(), adafactor->eps2()}));
            g.insert("clip_threshold", adafactor->clip_threshold());
            g.insert("decay_rate", adafactor->decay_rate());
            g.insert("beta1", adafactor->beta1() ? IValue(*adafactor->beta1()) : IValue());
            g.insert("weight_decay", adafactor->weight_decay());
            g.insert("scale_parameter", adafactor->scale_parameter());
            g.insert("relative_step", false);
            g.insert("warmup_init", false);
        } else {
            throw Error(path + ": cannot save the state of this optimizer type");
        }
        g.insert("params", indices);
        groups.push_back(g);
    }
    auto root = make_dict();
    root.insert("state", state);
    root.insert("param_groups", groups);
    save_for_python(root, path);
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const std::string& path) {
    auto dict = load_python_dict(path, "optimizer state");
    if (!dict.contains("state") || !dict.contains("param_groups")) {
        throw Error(path + ": optimizer state lacks \"state\" or \"param_groups\"");
    }
    auto state = dict.at("state").toGenericDict();
    auto groups = dict.at("param_groups").toList();
    if (groups.size() != optimizer.param_groups().size()) {
        throw Error(path + ": has " + std::to_string(groups.size()) +
                    " parameter groups, the model's optimizer has " +
                    std::to_string(optimizer.param_groups().size()));
    }
    std::int64_t index = 0;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        auto& group = optimizer.param_groups()[gi];
        auto saved = groups.get(gi).toGenericDict();
        // Python writes a plain list (GenericList), libtorch an IntList: read either.
        const auto params = saved.at("params").toList();
        if (params.size() != group.params().size()) {
            throw Error(path + ": group " + std::to_string(gi) + " has " +
                        std::to_string(params.size()) + " parameters, the model has " +
                        std::to_string(group.params().size()));
        }
        for (const auto& p : group.params()) {
            if (!state.contains(index)) {
                ++index;
                continue;
            }
            auto entry = state.at(index).toGenericDict();
            if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&group.options())) {
                (void)adamw;
                auto s = std::make_unique<torch::optim::AdamWParamState>();
                auto exp_avg = entry.at("exp_avg").toTensor();
                if (exp_avg.sizes() != p.sizes()) {
                    throw Error(path + ": state of parameter " + std::to_string(index) +
                                " has shape " + c10::str(exp_avg.sizes()) + ", the parameter " +
                                c10::str(p.sizes()));
                }
                s->step(static_cast<std::int64_t>(entry.at("step").toTensor().item<double>()));
                s->exp_avg(exp_avg.to(p.device(), p.scalar_type()).clone());
                s->exp_avg_sq(
                    entry.at("exp_avg_sq").toTensor().to(p.device(), p.scalar_type()).clone());
                optimizer.state()[optimizer_state_key(optimizer.state(), p)] = std::move(s);
            } else if (dynamic_cast<AdafactorOptions*>(&group.options())) {
                auto s = std::make_unique<AdafactorParamState>();
                auto tensor = [&](const char* name) {
                    return entry.contains(name) ? entry.at(name).toTensor().to(p.device()).clone()
                                                : torch::Tensor();
                };
                const auto step = entry.at("step");
                s->step(step.isTensor() ? static_cast<std::int64_t>(step.toTensor().item<double>())
                                        : step.toInt());
                s->rms(tensor("RMS"));
                s->exp_avg(tensor("exp_avg"));
                s->exp_avg_sq_row(tensor("exp_avg_sq_row"));
                s->exp_avg_sq_col(tensor("exp_avg_sq_col"));
                s->exp_avg_sq(tensor("exp_avg_sq"));
                if (!s->exp_avg_sq().defined() && !s->exp_avg_sq_row().defined()) {
                    throw Error(path + ": Adafactor state of parameter " + std::to_string(index) +
                                " has no second moment");
                }
                optimizer.state()[optimizer_state_key(optimizer.state(), p)] = std::move(s);
            } else if (dynamic_cast<torch::optim::SGDOptions*>(&group.options())) {
                auto s = std::make_unique<torch::optim::SGDParamState>();
                auto buffer = entry.at("momentum_buffer");
                if (buffer.isTensor())
                    s->momentum_buffer(buffer.toTensor().to(p.device()).clone());
                optimizer.state()[optimizer_state_key(optimizer.state(), p)] = std::move(s);
            }
            ++index;
        }
    }
}

void save_scheduler_state(const std::vector<double>& base_lrs, std::int64_t last_epoch,
                          double last_lr, const std::string& path) {
    auto root = make_dict();
    c10::impl::GenericList bases(c10::AnyType::get()), lasts(c10::AnyType::get());
    for (const double lr : base_lrs) {
        bases.push_back(lr);
        lasts.push_back(last_lr);
    }
    root.insert("base_lrs", bases);
    root.insert("last_epoch", last_epoch);
    root.insert("verbose", false);
    root.insert("_step_count", last_epoch + 1);
    root.insert("_get_lr_called_within_step", false);
    root.insert("_last_lr", lasts);
    c10::impl::GenericList lambdas(c10::AnyType::get());
    for (std::size_t i = 0; i < base_lrs.size(); ++i)
        lambdas.push_back(make_dict());
    root.insert("lr_lambdas", lambdas);
    save_for_python(root, path);
}

void save_rng_state(const std::string& path) {
    auto root = make_dict();
    auto cpu = at::detail::getDefaultCPUGenerator();
    {
        std::lock_guard<std::mutex> lock(cpu.mutex());
        root.insert("cpu", cpu.get_state());
    }
    // Every visible GPU's generator (dropout on CUDA draws from these), as Transformers keeps
    // torch.cuda.get_rng_state_all(). The context's generic accessor needs no CUDA headers, so
    // this compiles against CPU-only libtorch, where there are no devices.
    const auto gpus = static_cast<c10::DeviceIndex>(torch::cuda::device_count());
    if (gpus > 0) {
        c10::impl::GenericList states(c10::AnyType::get());
        for (c10::DeviceIndex i = 0; i < gpus; ++i) {
            auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, i));
            std::lock_guard<std::mutex> lock(gen.mutex());
            states.push_back(gen.get_state());
        }
        root.insert("cuda", states);
    }
    save_for_python(root, path);
}

void load_rng_state(const std::string& path) {
    auto dict = load_python_dict(path, "RNG state");
    {
        auto cpu = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(cpu.mutex());
        cpu.set_state(dict.at("cpu").toTensor());
    }
    if (!dict.contains("cuda"))
        return;
    // A run resumed on fewer GPUs restores the ones it has; the trainer warns about world-size
    // changes separately, and a CPU resume of a GPU run has no CUDA streams to continue.
    const auto states = dict.at("cuda").toList();
    const auto gpus = static_cast<std::size_t>(torch::cuda::device_count());
    for (std::size_t i = 0; i < std::min(gpus, states.size()); ++i) {
        auto gen = at::globalContext().defaultGenerator(
            c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(states.get(i).toTensor());
    }
}

}  // namespace lathe::core::trainer
