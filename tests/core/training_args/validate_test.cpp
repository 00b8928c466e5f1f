#include "core/training_args/validate.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/util/error.h"

namespace lathe::core::training_args {
namespace {

std::string error_of(const std::function<void(TrainingArguments&)>& change) {
    TrainingArguments args;
    change(args);
    try {
        validate(args);
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

void expect_error(const std::function<void(TrainingArguments&)>& change, const std::string& part) {
    auto message = error_of(change);
    EXPECT_NE(message.find(part), std::string::npos) << "message: " << message;
}

void expect_ok(const std::function<void(TrainingArguments&)>& change) {
    EXPECT_EQ(error_of(change), "(no error)");
}

TEST(TrainingArgsValidate, DefaultsAreValid) {
    expect_ok([](TrainingArguments&) {});
}

TEST(TrainingArgsValidate, StepsBiggerThanOneMustBeIntegers) {
    expect_error([](auto& a) { a.logging_steps = 10.5; },
                 "logging_steps must be an integer if bigger than 1 (got 10.5)");
    expect_error([](auto& a) { a.save_steps = 2.5; },
                 "save_steps must be an integer if bigger than 1 (got 2.5)");
    expect_error(
        [](auto& a) {
            a.eval_strategy = "steps";
            a.eval_steps = 1.5;
        },
        "eval_steps must be an integer if bigger than 1 (got 1.5)");
    // Ratios are fine, and the rule only applies under the "steps" strategy.
    expect_ok([](auto& a) {
        a.logging_steps = 0.1;
        a.save_steps = 0.25;
    });
    expect_ok([](auto& a) {
        a.save_strategy = "epoch";
        a.save_steps = 2.5;
    });
}

TEST(TrainingArgsValidate, StepsMustBePositiveUnderStepsStrategy) {
    expect_error([](auto& a) { a.logging_steps = 0; },
                 "logging_steps must be > 0 when logging_strategy is \"steps\"");
    expect_error([](auto& a) { a.save_steps = 0; },
                 "save_steps must be > 0 when save_strategy is \"steps\"");
    expect_error(
        [](auto& a) {
            a.eval_strategy = "steps";
            a.logging_strategy = "no";
            a.logging_steps = 0;
        },
        "eval_strategy \"steps\" needs eval_steps or logging_steps > 0");
}

TEST(TrainingArgsValidate, DataParallelTimeoutAndBucketSizeMustBePositive) {
    expect_error([](auto& a) { a.ddp_timeout = 0; }, "ddp_timeout must be > 0 seconds (got 0)");
    expect_error([](auto& a) { a.ddp_bucket_cap_mb = -5; }, "ddp_bucket_cap_mb must be > 0");
    expect_error([](auto& a) { a.ddp_bucket_cap_mb = 0; }, "ddp_bucket_cap_mb must be > 0 (got 0)");
}

TEST(TrainingArgsValidate, Fp16AndBf16) {
    expect_error(
        [](auto& a) {
            a.fp16 = true;
            a.bf16 = true;
        },
        "fp16 and bf16 are both true");
    expect_ok([](auto& a) { a.bf16 = true; });
}

TEST(TrainingArgsValidate, LoadBestNeedsMatchingStrategies) {
    expect_error(
        [](auto& a) {
            a.load_best_model_at_end = true;
            a.eval_strategy = "epoch";
        },
        "load_best_model_at_end needs eval_strategy and save_strategy to match");
    expect_error(
        [](auto& a) {
            a.load_best_model_at_end = true;
            a.eval_strategy = "steps";
            a.eval_steps = 30;
            a.save_steps = 100;
        },
        "save_steps (100) to be a round multiple of eval_steps (30)");
    expect_error(
        [](auto& a) {
            a.load_best_model_at_end = true;
            a.eval_strategy = "steps";
            a.eval_steps = 0.1;
            a.save_steps = 100;
        },
        "one is a ratio and the other a step count");
    expect_error(
        [](auto& a) {
            a.load_best_model_at_end = true;
            a.eval_strategy = "steps";
            a.eval_steps = 0.2;
            a.save_steps = 0.5;
        },
        "save_steps (0.5) to be a multiple of eval_steps (0.2)");
    expect_ok([](auto& a) {
        a.load_best_model_at_end = true;
        a.eval_strategy = "steps";
        a.eval_steps = 0.1;
        a.save_steps = 0.5;
    });
    expect_ok([](auto& a) {
        a.load_best_model_at_end = true;
        a.eval_strategy = "steps";
        a.eval_steps = 50;
    });
    // eval_steps falls back to logging_steps (500) = save_steps.
    expect_ok([](auto& a) {
        a.load_best_model_at_end = true;
        a.eval_strategy = "steps";
    });
    // save_strategy "best" needs no match.
    expect_ok([](auto& a) {
        a.load_best_model_at_end = true;
        a.eval_strategy = "epoch";
        a.save_strategy = "best";
    });
}

TEST(TrainingArgsValidate, SaveBestNeedsMetric) {
    expect_error(
        [](auto& a) {
            a.eval_strategy = "epoch";
            a.save_strategy = "best";
        },
        "save_strategy \"best\" needs metric_for_best_model");
    expect_ok([](auto& a) {
        a.eval_strategy = "epoch";
        a.save_strategy = "best";
        a.metric_for_best_model = "accuracy";
    });
}

TEST(TrainingArgsValidate, ReduceLrOnPlateauNeedsEvaluation) {
    expect_error([](auto& a) { a.lr_scheduler_type = "reduce_lr_on_plateau"; },
                 "lr_scheduler_type \"reduce_lr_on_plateau\" needs an eval_strategy");
    expect_ok([](auto& a) {
        a.lr_scheduler_type = "reduce_lr_on_plateau";
        a.eval_strategy = "epoch";
    });
}

TEST(TrainingArgsValidate, SchedulerKwargsFitTheType) {
    expect_error([](auto& a) { a.lr_scheduler_type = "cosine_with_min_lr"; },
                 "lr_scheduler_kwargs.min_lr");
    expect_error(
        [](auto& a) {
            a.lr_scheduler_kwargs = {{"num_cycles", 1}};
        },
        "unknown lr_scheduler_kwargs.num_cycles for lr_scheduler_type \"linear\"");
    expect_error(
        [](auto& a) {
            a.lr_scheduler_type = "polynomial";
            a.lr_scheduler_kwargs = {{"lr_end", 1e-3}};
        },
        "lr_scheduler_kwargs.lr_end (0.001) must be smaller than the initial learning rate");
    expect_ok([](auto& a) {
        a.lr_scheduler_type = "warmup_stable_decay";
        a.lr_scheduler_kwargs = {{"num_decay_steps", 100}, {"decay_type", "1-sqrt"}};
    });
}

TEST(TrainingArgsValidate, Ranges) {
    expect_error([](auto& a) { a.per_device_train_batch_size = 0; },
                 "per_device_train_batch_size must be >= 1 (got 0)");
    expect_error([](auto& a) { a.per_device_eval_batch_size = -1; }, "per_device_eval_batch_size");
    expect_error([](auto& a) { a.gradient_accumulation_steps = 0; },
                 "gradient_accumulation_steps must be >= 1");
    expect_error([](auto& a) { a.learning_rate = -1e-3; }, "learning_rate must be >= 0");
    expect_error([](auto& a) { a.weight_decay = -0.1; }, "weight_decay must be >= 0");
    expect_error([](auto& a) { a.adam_beta1 = 1.0; }, "adam_beta1 must be in [0, 1) (got 1)");
    expect_error([](auto& a) { a.adam_beta2 = -0.5; }, "adam_beta2 must be in [0, 1)");
    expect_error([](auto& a) { a.adam_epsilon = -1; }, "adam_epsilon must be >= 0");
    expect_error([](auto& a) { a.max_grad_norm = -1; }, "max_grad_norm must be >= 0");
    expect_error([](auto& a) { a.warmup_steps = -1; }, "warmup_steps must be >= 0");
    expect_error([](auto& a) { a.label_smoothing_factor = 1; }, "label_smoothing_factor");
    expect_error([](auto& a) { a.neftune_noise_alpha = -5.0; }, "neftune_noise_alpha");
    expect_error([](auto& a) { a.eval_delay = -1; }, "eval_delay must be >= 0");
    expect_error([](auto& a) { a.save_total_limit = -1; }, "save_total_limit must be >= 0");
    expect_error([](auto& a) { a.seed = -1; }, "seed must be in [0, 2^32 - 1]");
    expect_error([](auto& a) { a.data_seed = 4294967296LL; }, "data_seed must be in [0, 2^32 - 1]");
    expect_error([](auto& a) { a.max_steps = -2; }, "max_steps must be -1");
    expect_error([](auto& a) { a.num_train_epochs = 0; },
                 "num_train_epochs must be > 0 when max_steps is not set");
    expect_ok([](auto& a) {
        a.num_train_epochs = 0;
        a.max_steps = 10;
    });
    expect_error([](auto& a) { a.output_dir = ""; }, "output_dir must not be empty");
    expect_error([](auto& a) { a.resume_from_checkpoint = std::string(); },
                 "resume_from_checkpoint must be");
    expect_error([](auto& a) { a.optim_args = "betas"; }, "optim_args must be \"key=value\" pairs");
    expect_ok([](auto& a) { a.optim_args = "momentum=0.9,nesterov=True"; });
}

TEST(TrainingArgsValidate, ChoicesOfProgrammaticValues) {
    expect_error([](auto& a) { a.optim = "adamw_hf"; }, "optim \"adamw_hf\" is not one of");
    expect_error([](auto& a) { a.save_strategy = "always"; }, "save_strategy \"always\"");
    expect_error([](auto& a) { a.logging_strategy = "best"; }, "logging_strategy \"best\"");
    expect_error([](auto& a) { a.lr_scheduler_type = "exp"; }, "lr_scheduler_type \"exp\"");
}

TEST(TrainingArgsResolved, DerivedDefaults) {
    TrainingArguments a;
    auto r = resolved(a);
    EXPECT_FALSE(r.do_eval);
    EXPECT_FALSE(r.eval_steps);
    EXPECT_FALSE(r.metric_for_best_model);
    EXPECT_FALSE(r.greater_is_better);

    a.eval_strategy = "steps";
    a.logging_steps = 25;
    a.load_best_model_at_end = true;
    r = resolved(a);
    EXPECT_TRUE(r.do_eval);
    EXPECT_EQ(r.eval_steps, 25.0);
    EXPECT_EQ(r.metric_for_best_model, "loss");
    EXPECT_EQ(r.greater_is_better, false);

    a.metric_for_best_model = "eval_accuracy";
    EXPECT_EQ(resolved(a).greater_is_better, true);
    a.greater_is_better = false;
    EXPECT_EQ(resolved(a).greater_is_better, false);

    TrainingArguments plateau;
    plateau.lr_scheduler_type = "reduce_lr_on_plateau";
    EXPECT_EQ(resolved(plateau).metric_for_best_model, "loss");
    // Nothing else changes.
    EXPECT_EQ(resolved(plateau).data_seed, std::nullopt);
    EXPECT_EQ(resolved(plateau).run_name, std::nullopt);
}

TEST(TrainingArgsResolved, AbsoluteSteps) {
    EXPECT_EQ(absolute_steps(500, 1000), 500);
    EXPECT_EQ(absolute_steps(0.1, 1000), 100);
    EXPECT_EQ(absolute_steps(0.1, 15), 2);     // ceil(1.5)
    EXPECT_EQ(absolute_steps(10.7, 100), 10);  // warmup_steps: int(w) when >= 1
    EXPECT_EQ(absolute_steps(0, 100), 0);
}

}  // namespace
}  // namespace lathe::core::training_args
