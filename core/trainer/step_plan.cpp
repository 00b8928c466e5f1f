#include "core/trainer/step_plan.h"

#include <cmath>

#include "core/training_args/validate.h"
#include "core/util/error.h"

namespace lathe::core::trainer {

StepPlan plan_steps(const training_args::TrainingArguments& args, std::int64_t train_blocks,
                    std::int64_t world_size) {
    StepPlan plan;
    const std::int64_t batch = args.per_device_train_batch_size;
    const std::int64_t ga = args.gradient_accumulation_steps;
    plan.batches_per_epoch =
        args.dataloader_drop_last ? train_blocks / batch : (train_blocks + batch - 1) / batch;
    if (plan.batches_per_epoch <= 0) {
        throw Error("dataset: " + std::to_string(train_blocks) +
                    " training blocks make no full batch of per_device_train_batch_size " +
                    std::to_string(batch) + " (dataloader_drop_last is on)");
    }
    plan.updates_per_epoch = std::max<std::int64_t>((plan.batches_per_epoch + ga - 1) / ga, 1);
    if (args.max_steps > 0) {
        plan.max_steps = args.max_steps;
        plan.num_epochs = (plan.max_steps + plan.updates_per_epoch - 1) / plan.updates_per_epoch;
    } else {
        plan.max_steps = static_cast<std::int64_t>(
            std::ceil(args.num_train_epochs * static_cast<double>(plan.updates_per_epoch)));
        plan.num_epochs = static_cast<std::int64_t>(std::ceil(args.num_train_epochs));
    }
    if (plan.max_steps <= 0) {
        throw Error("training_args: num_train_epochs = " + std::to_string(args.num_train_epochs) +
                    " gives no optimizer step; set num_train_epochs > 0 or max_steps");
    }
    plan.logging_steps = training_args::absolute_steps(args.logging_steps, plan.max_steps);
    plan.eval_steps =
        training_args::absolute_steps(args.eval_steps.value_or(args.logging_steps), plan.max_steps);
    plan.save_steps = training_args::absolute_steps(args.save_steps, plan.max_steps);
    plan.warmup_steps = training_args::absolute_steps(args.warmup_steps, plan.max_steps);
    plan.global_batch_size = batch * ga * world_size;
    return plan;
}

}  // namespace lathe::core::trainer
