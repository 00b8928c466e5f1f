#include "core/training_args/parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/util/error.h"

namespace lathe::core::training_args {
namespace {

using nlohmann::json;

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

std::string parse_error(const json& j) {
    return error_of([&] { from_json(j, "run.json training_args"); });
}

TrainingArguments overridden(const std::vector<std::string>& argv,
                             std::vector<std::string>* warnings = nullptr) {
    TrainingArguments args;
    apply_overrides(args, argv, warnings);
    return args;
}

std::string override_error(const std::vector<std::string>& argv) {
    return error_of([&] { overridden(argv); });
}

TEST(TrainingArgsParse, MissingKeysKeepDefaults) {
    auto result = from_json(json::object(), "x");
    EXPECT_TRUE(result.warnings.empty());
    EXPECT_EQ(result.args.to_json(), TrainingArguments{}.to_json());
}

TEST(TrainingArgsParse, UnknownKeySuggestsClosest) {
    EXPECT_EQ(parse_error({{"learnig_rate", 1e-3}}),
              "run.json training_args: unknown key \"learnig_rate\" (did you mean "
              "\"learning_rate\"?)");
    EXPECT_EQ(parse_error({{"per_device_batch_size", 8}}),
              "run.json training_args: unknown key \"per_device_batch_size\" (did you mean "
              "\"per_device_eval_batch_size\"?)");
    EXPECT_EQ(parse_error({{"lr_sheduler_tpye", "linear"}}),
              "run.json training_args: unknown key \"lr_sheduler_tpye\" (did you mean "
              "\"lr_scheduler_type\"?)");
    // Too far from everything: no suggestion.
    EXPECT_EQ(parse_error({{"banana", 1}}), "run.json training_args: unknown key \"banana\"");
}

TEST(TrainingArgsParse, TypeErrorsNameFieldAndType) {
    EXPECT_EQ(parse_error({{"learning_rate", "3e-4"}}),
              "run.json training_args: learning_rate must be a number (got \"3e-4\")");
    EXPECT_EQ(parse_error({{"per_device_train_batch_size", 8.5}}),
              "run.json training_args: per_device_train_batch_size must be an integer (got 8.5)");
    EXPECT_EQ(parse_error({{"bf16", 1}}),
              "run.json training_args: bf16 must be true or false (got 1)");
    EXPECT_EQ(parse_error({{"output_dir", nullptr}}),
              "run.json training_args: output_dir must be a string (got null)");
    EXPECT_EQ(parse_error({{"lr_scheduler_kwargs", json::array()}}),
              "run.json training_args: lr_scheduler_kwargs must be a JSON object (got [])");
    EXPECT_EQ(parse_error({{"report_to", 3}}),
              "run.json training_args: report_to must be a string or a list of strings (got 3)");
    EXPECT_EQ(parse_error({{"resume_from_checkpoint", 3}}),
              "run.json training_args: resume_from_checkpoint must be a checkpoint path, true, "
              "false or null (got 3)");
    EXPECT_EQ(parse_error({{"save_steps", "x"}}),
              "run.json training_args: save_steps must be a number (an integer, or a ratio < 1) "
              "(got \"x\")");
    EXPECT_EQ(parse_error({{"lr_scheduler_type", "cosin"}}),
              "run.json training_args: lr_scheduler_type \"cosin\" is not one of: linear, cosine, "
              "cosine_with_restarts, polynomial, constant, constant_with_warmup, inverse_sqrt, "
              "reduce_lr_on_plateau, cosine_with_min_lr, warmup_stable_decay");
    EXPECT_EQ(parse_error({{"optim", "adamw_hf"}}),
              "run.json training_args: optim \"adamw_hf\" is not one of: adamw_torch, "
              "adamw_torch_fused, sgd, adafactor");
    EXPECT_EQ(parse_error(json::array()), "run.json training_args: must be a JSON object (got [])");
}

TEST(TrainingArgsParse, ValueForms) {
    auto a = from_json({{"per_device_train_batch_size", 4.0},
                        {"eval_steps", nullptr},
                        {"save_total_limit", 3},
                        {"lr_scheduler_kwargs", "{\"num_cycles\": 2}"},
                        {"report_to", "tensorboard"},
                        {"resume_from_checkpoint", true},
                        {"tf32", false},
                        {"warmup_steps", 0.1}},
                       "x")
                 .args;
    EXPECT_EQ(a.per_device_train_batch_size, 4);
    EXPECT_FALSE(a.eval_steps);
    EXPECT_EQ(a.save_total_limit, 3);
    EXPECT_EQ(a.lr_scheduler_kwargs, json({{"num_cycles", 2}}));
    EXPECT_EQ(a.report_to, std::vector<std::string>{"tensorboard"});
    EXPECT_EQ(std::get<bool>(a.resume_from_checkpoint), true);
    EXPECT_EQ(a.tf32, false);
    EXPECT_EQ(a.warmup_steps, 0.1);
    EXPECT_EQ(from_json({{"report_to", json::array({"none"})}}, "x").args.report_to.size(), 0u);
    EXPECT_EQ(from_json({{"lr_scheduler_kwargs", nullptr}}, "x").args.lr_scheduler_kwargs,
              json::object());
    EXPECT_NE(parse_error({{"report_to", json::array({"none", "wandb"})}}).find("\"none\" cannot"),
              std::string::npos);
}

TEST(TrainingArgsParse, ToJsonWritesWholeStepsAsIntegers) {
    TrainingArguments a;
    a.logging_steps = 0.25;
    a.eval_steps = 20;
    auto j = a.to_json();
    EXPECT_TRUE(j.at("save_steps").is_number_integer());
    EXPECT_TRUE(j.at("eval_steps").is_number_integer());
    EXPECT_TRUE(j.at("logging_steps").is_number_float());
    EXPECT_TRUE(j.at("num_train_epochs").is_number_float());
    EXPECT_EQ(from_json(j, "x").args.to_json(), j);
}

TEST(TrainingArgsParse, UnsupportedKeysWarnUnlessDefault) {
    auto result = from_json({{"deepspeed", "ds.json"},
                             {"push_to_hub", false},
                             {"fsdp", ""},
                             {"torch_compile", true},
                             {"logging_dir", "out/runs/May01_host"}},
                            "run.json training_args");
    ASSERT_EQ(result.warnings.size(), 2u);
    EXPECT_EQ(result.warnings[0],
              "run.json training_args: \"deepspeed\" is a Transformers option that Lathe does not "
              "implement; its value \"ds.json\" is ignored");
    EXPECT_NE(result.warnings[1].find("\"torch_compile\""), std::string::npos);
}

TEST(TrainingArgsParse, DeprecatedEvaluationStrategy) {
    auto result = from_json({{"evaluation_strategy", "epoch"}}, "run.json training_args");
    EXPECT_EQ(result.args.eval_strategy, "epoch");
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0],
              "run.json training_args: evaluation_strategy is deprecated; use eval_strategy (set "
              "to \"epoch\")");
    // As in Transformers 4.x, the old name wins.
    EXPECT_EQ(from_json({{"evaluation_strategy", "steps"}, {"eval_strategy", "epoch"}}, "x")
                  .args.eval_strategy,
              "steps");
    // 4.x files carry "evaluation_strategy": null.
    EXPECT_TRUE(from_json({{"evaluation_strategy", nullptr}}, "x").warnings.empty());
    EXPECT_NE(parse_error({{"evaluation_strategy", "sometimes"}})
                  .find("evaluation_strategy \"sometimes\" is not one of: no, steps, epoch"),
              std::string::npos);
}

TEST(TrainingArgsParse, DeprecatedWarmupRatio) {
    auto copied = from_json({{"warmup_ratio", 0.1}}, "x");
    EXPECT_EQ(copied.args.warmup_steps, 0.1);
    ASSERT_EQ(copied.warnings.size(), 1u);
    EXPECT_NE(copied.warnings[0].find("warmup_ratio is deprecated; copied into warmup_steps"),
              std::string::npos);
    // Transformers 4.x: warmup_steps > 0 wins.
    auto both = from_json({{"warmup_ratio", 0.1}, {"warmup_steps", 5}}, "x");
    EXPECT_EQ(both.args.warmup_steps, 5);
    ASSERT_EQ(both.warnings.size(), 1u);
    EXPECT_NE(both.warnings[0].find("ignored because warmup_steps is set"), std::string::npos);
    auto zero = from_json({{"warmup_ratio", 0.0}, {"warmup_steps", 5}}, "x");
    EXPECT_TRUE(zero.warnings.empty());
    EXPECT_EQ(zero.args.warmup_steps, 5);
    EXPECT_EQ(parse_error({{"warmup_ratio", 1.0}}),
              "run.json training_args: warmup_ratio must be a number in [0, 1) (got 1.0)");
}

TEST(TrainingArgsParse, DeprecatedNoCudaSetsUseCpu) {
    EXPECT_FALSE(from_json(json::object(), "x").args.use_cpu);
    EXPECT_TRUE(from_json({{"use_cpu", true}}, "x").args.use_cpu);
    // Transformers 4.x writes "no_cuda": false next to use_cpu; that changes nothing.
    auto quiet = from_json({{"no_cuda", false}, {"use_cpu", true}}, "x");
    EXPECT_TRUE(quiet.args.use_cpu);
    EXPECT_TRUE(quiet.warnings.empty());
    auto old = from_json({{"no_cuda", true}, {"use_cpu", false}}, "x");
    EXPECT_TRUE(old.args.use_cpu);
    ASSERT_EQ(old.warnings.size(), 1u);
    EXPECT_EQ(old.warnings[0], "x: no_cuda is deprecated; use use_cpu (set to true)");
    EXPECT_EQ(parse_error({{"no_cuda", "yes"}}),
              "run.json training_args: no_cuda must be true or false (got \"yes\")");
    std::vector<std::string> warnings;
    EXPECT_TRUE(overridden({"--no_cuda"}, &warnings).use_cpu);
    EXPECT_FALSE(overridden({"--no-cuda", "false"}).use_cpu);
    EXPECT_TRUE(overridden({"--use_cpu"}).use_cpu);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "command line: --no_cuda is deprecated; use use_cpu (set to true)");
}

TEST(TrainingArgsOverrides, Forms) {
    std::vector<std::string> warnings;
    auto a = overridden({"--learning_rate",
                         "3e-4",
                         "--per-device-train-batch-size=4",
                         "--bf16",
                         "--logging_first_step",
                         "false",
                         "--no_logging_nan_inf_filter",
                         "--report_to",
                         "wandb",
                         "tensorboard",
                         "--max_steps=-1",
                         "--lr_scheduler_kwargs",
                         "{\"num_cycles\": 1}",
                         "--eval_steps",
                         "0.25",
                         "--save_steps",
                         "100",
                         "--tf32=null",
                         "--run_name",
                         "my run",
                         "--resume_from_checkpoint",
                         "true",
                         "--gradient_checkpointing=yes"},
                        &warnings);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(a.learning_rate, 3e-4);
    EXPECT_EQ(a.per_device_train_batch_size, 4);
    EXPECT_TRUE(a.bf16);
    EXPECT_FALSE(a.logging_first_step);
    EXPECT_FALSE(a.logging_nan_inf_filter);
    EXPECT_EQ(a.report_to, (std::vector<std::string>{"wandb", "tensorboard"}));
    EXPECT_EQ(a.max_steps, -1);
    EXPECT_EQ(a.lr_scheduler_kwargs, json({{"num_cycles", 1}}));
    EXPECT_EQ(a.eval_steps, 0.25);
    EXPECT_EQ(a.save_steps, 100);
    EXPECT_FALSE(a.tf32);
    EXPECT_EQ(a.run_name, "my run");
    EXPECT_EQ(std::get<bool>(a.resume_from_checkpoint), true);
    EXPECT_TRUE(a.gradient_checkpointing);

    auto b = overridden({"--report_to=none", "--bf16", "--fp16", "F", "--resume_from_checkpoint",
                         "out/checkpoint-10", "--save_total_limit", "None"});
    EXPECT_TRUE(b.report_to.empty());
    EXPECT_TRUE(b.bf16);
    EXPECT_FALSE(b.fp16);
    EXPECT_EQ(std::get<std::string>(b.resume_from_checkpoint), "out/checkpoint-10");
    EXPECT_FALSE(b.save_total_limit);
    EXPECT_EQ(overridden({"--report_to", "a,b"}).report_to, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(overridden({"--lr_scheduler_kwargs", "null"}).lr_scheduler_kwargs, json::object());
}

TEST(TrainingArgsOverrides, Errors) {
    EXPECT_EQ(override_error({"--learnig_rate", "1"}),
              "command line: unknown option --learnig_rate (did you mean --learning_rate?)");
    EXPECT_EQ(override_error({"--learning-rat=1"}),
              "command line: unknown option --learning_rat (did you mean --learning_rate?)");
    EXPECT_EQ(override_error({"--learning_rate", "fast"}),
              "command line: --learning_rate must be a number (got \"fast\")");
    EXPECT_EQ(override_error({"--max_steps", "1.5"}),
              "command line: --max_steps must be an integer (got \"1.5\")");
    EXPECT_EQ(override_error({"--bf16", "maybe"}),
              "command line: --bf16 must be true or false (got \"maybe\")");
    EXPECT_EQ(override_error({"--learning_rate"}), "command line: --learning_rate needs a value");
    EXPECT_EQ(override_error({"--seed", "--bf16"}), "command line: --seed needs a value");
    EXPECT_EQ(override_error({"3e-4"}),
              "command line: unexpected argument \"3e-4\" (options look like --name value or "
              "--name=value)");
    EXPECT_EQ(override_error({"--no_bf16=true"}), "command line: --no_bf16 takes no value");
    EXPECT_EQ(override_error({"--lr_scheduler_kwargs", "{bad"}),
              "command line: --lr_scheduler_kwargs must be a JSON object (got \"{bad\")");
    EXPECT_EQ(override_error({"--optim", "lion"}),
              "command line: --optim \"lion\" is not one of: adamw_torch, adamw_torch_fused, sgd, "
              "adafactor");
}

TEST(TrainingArgsOverrides, FailureLeavesArgsUnchanged) {
    TrainingArguments args;
    std::vector<std::string> warnings;
    EXPECT_THROW(
        apply_overrides(args, {"--evaluation_strategy", "steps", "--seed", "x"}, &warnings), Error);
    EXPECT_EQ(args.eval_strategy, "no");
    EXPECT_EQ(args.seed, 42);
    EXPECT_TRUE(warnings.empty());
}

TEST(TrainingArgsOverrides, AliasesAndUnsupported) {
    std::vector<std::string> warnings;
    auto a = overridden({"--evaluation_strategy", "steps", "--warmup_steps", "5", "--warmup_ratio",
                         "0.05", "--deepspeed", "ds.json", "--push_to_hub"},
                        &warnings);
    EXPECT_EQ(a.eval_strategy, "steps");
    EXPECT_EQ(a.warmup_steps, 0.05);  // on the command line, warmup_ratio always wins (v5)
    ASSERT_EQ(warnings.size(), 4u);
    EXPECT_EQ(warnings[0],
              "command line: --evaluation_strategy is deprecated; use eval_strategy (set to "
              "\"steps\")");
    EXPECT_NE(warnings[1].find("--warmup_ratio is deprecated"), std::string::npos) << warnings[1];
    EXPECT_EQ(warnings[2],
              "command line: --deepspeed is a Transformers option that Lathe does not implement; "
              "ignored");
    EXPECT_NE(warnings[3].find("--push_to_hub"), std::string::npos);
    // A null warnings pointer is allowed.
    EXPECT_NO_THROW(overridden({"--deepspeed", "x"}, nullptr));
}

}  // namespace
}  // namespace lathe::core::training_args
