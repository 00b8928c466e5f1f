#include "core/trainer/optimizer_factory.h"

#include "core/trainer/adafactor.h"

#include <algorithm>
#include <regex>
#include <set>

#include "core/models/llama.h"
#include "core/util/error.h"

namespace lathe::core::trainer {

std::vector<std::string> decay_parameter_names(const models::CausalLanguageModel& model) {
    std::set<std::string> in_norm_modules;
    for (const auto& item : model.named_modules("", /*include_self=*/false)) {
        const auto& module = item.value();
        const bool is_norm = module->as<torch::nn::LayerNormImpl>() != nullptr ||
                             module->as<models::RmsNormImpl>() != nullptr;
        if (!is_norm)
            continue;
        for (const auto& p : module->named_parameters(/*recurse=*/false)) {
            in_norm_modules.insert(item.key() + "." + p.key());
        }
    }
    static const std::regex excluded(
        R"(bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.))");
    std::vector<std::string> names;
    for (const auto& item : model.named_parameters()) {
        std::string lower = item.key();
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        if (in_norm_modules.count(item.key()) || std::regex_search(lower, excluded))
            continue;
        names.push_back(item.key());
    }
    return names;
}

std::vector<std::string> optimizer_parameter_order(const models::CausalLanguageModel& model) {
    const auto decay = decay_parameter_names(model);
    const std::set<std::string> decay_set(decay.begin(), decay.end());
    std::vector<std::string> order = decay;
    for (const auto& item : model.named_parameters()) {
        if (!decay_set.count(item.key()))
            order.push_back(item.key());
    }
    return order;
}

std::unique_ptr<torch::optim::Optimizer> create_optimizer(
    models::CausalLanguageModel& model, const training_args::TrainingArguments& args,
    std::vector<std::string>* warnings) {
    const auto decay = decay_parameter_names(model);
    const std::set<std::string> decay_set(decay.begin(), decay.end());
    std::vector<torch::Tensor> with_decay, without_decay;
    auto params = model.named_parameters();
    for (const auto& name : decay)
        with_decay.push_back(params[name]);
    for (const auto& item : params) {
        if (!decay_set.count(item.key()) && item.value().requires_grad()) {
            without_decay.push_back(item.value());
        }
    }
    if (args.optim_args && warnings) {
        warnings->push_back("training_args.optim_args is not used by Lathe's " + args.optim +
                            " and was ignored");
    }
    if (args.optim == "adamw_torch" || args.optim == "adamw_torch_fused") {
        auto options = [&](double weight_decay) {
            return std::make_unique<torch::optim::AdamWOptions>(
                torch::optim::AdamWOptions(args.learning_rate)
                    .betas({args.adam_beta1, args.adam_beta2})
                    .eps(args.adam_epsilon)
                    .weight_decay(weight_decay));
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(with_decay, options(args.weight_decay));
        groups.emplace_back(without_decay, options(0.0));
        return std::make_unique<torch::optim::AdamW>(std::move(groups), *options(0.0));
    }
    if (args.optim == "sgd") {
        auto options = [&](double weight_decay) {
            return std::make_unique<torch::optim::SGDOptions>(
                torch::optim::SGDOptions(args.learning_rate).weight_decay(weight_decay));
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(with_decay, options(args.weight_decay));
        groups.emplace_back(without_decay, options(0.0));
        return std::make_unique<torch::optim::SGD>(std::move(groups), *options(0.0));
    }
    if (args.optim == "adafactor") {
        // What Trainer passes for optim="adafactor": the schedule's rate, no relative step, no
        // parameter scaling.
        auto options = [&](double weight_decay) {
            return std::make_unique<AdafactorOptions>(
                AdafactorOptions(args.learning_rate).weight_decay(weight_decay));
        };
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(with_decay, options(args.weight_decay));
        groups.emplace_back(without_decay, options(0.0));
        return std::make_unique<Adafactor>(std::move(groups), *options(0.0));
    }
    throw Error("training_args.optim = \"" + args.optim +
                "\" is not implemented by this trainer yet (implemented: adamw_torch, "
                "adamw_torch_fused, sgd, adafactor)");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) {
        group.options().set_lr(lr);
    }
}

}  // namespace lathe::core::trainer
