#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/models/causal_lm.h"
#include "core/training_args/training_arguments.h"

namespace lathe::core::trainer {

// Transformers' get_decay_parameter_names: every parameter except those inside a LayerNorm or
// RMSNorm module and those whose lower-cased name matches bias|layernorm|rmsnorm|norm segments.
std::vector<std::string> decay_parameter_names(const models::CausalLanguageModel& model);

// The optimizer Trainer.create_optimizer builds: two groups, [decay params with weight_decay,
// the rest with 0.0], in that order (it fixes the parameter indices in optimizer state files).
std::unique_ptr<torch::optim::Optimizer> create_optimizer(
    models::CausalLanguageModel& model, const training_args::TrainingArguments& args,
    std::vector<std::string>* warnings);

// Parameter names in optimizer index order (group 0 then group 1).
std::vector<std::string> optimizer_parameter_order(const models::CausalLanguageModel& model);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace lathe::core::trainer
