// Against tests/fixtures/training_args/*.json, written by Transformers 4.46.3's and 5.24.0's
// TrainingArguments.to_json_string() (tests/fixtures/make_training_args_fixtures.py; the v5 files
// end in _v5).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/training_args/parse.h"
#include "core/training_args/schema.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::training_args {
namespace {

nlohmann::json load(const std::string& name) {
    return nlohmann::json::parse(util::read_file(lathe::tests::fixture("training_args/" + name)));
}

// One Transformers release's fixtures and what differs in them.
struct Release {
    std::string name;
    std::string suffix;                         // of the fixture files
    std::size_t keys = 0;                       // in its to_json_string()
    std::set<std::string> default_differences;  // supported fields whose default differs
    nlohmann::json run_name;                    // its default run_name
    std::string unsupported_set;                // the second unsupported non-default it writes
};

const std::vector<Release>& releases() {
    static const std::vector<Release> all = {
        {"4.46.3",
         "",
         131,
         // 4.46.3 copies output_dir into run_name; v5 leaves it null as Lathe does.
         {"run_name", "stop_on_non_finite_loss"},
         "trainer_output",
         "group_by_length"},
        {"5.24.0",
         "_v5",
         114,
         // v5 writes lr_scheduler_kwargs null where 4.x wrote {}; Lathe reads both as no kwargs.
         {"lr_scheduler_kwargs", "stop_on_non_finite_loss"},
         nullptr,
         "train_sampling_strategy"},
    };
    return all;
}

class TrainingArgsHfFixture : public ::testing::TestWithParam<Release> {
  protected:
    std::string defaults_file() const {
        return "hf_default_training_args" + GetParam().suffix + ".json";
    }
    std::string custom_file() const { return "hf_training_args" + GetParam().suffix + ".json"; }
};

TEST_P(TrainingArgsHfFixture, DefaultsEqualTransformers) {
    const auto hf = load(defaults_file());
    const auto lathe = TrainingArguments{}.to_json();
    int compared = 0;
    for (const auto& spec : schema()) {
        if (!spec.supported || GetParam().default_differences.count(spec.name))
            continue;
        ASSERT_TRUE(hf.contains(spec.name)) << spec.name;
        EXPECT_EQ(lathe.at(spec.name), hf.at(spec.name)) << spec.name;
        EXPECT_EQ(spec.default_value, hf.at(spec.name)) << spec.name;
        ++compared;
    }
    EXPECT_GE(compared, 45);
    EXPECT_EQ(hf.at("run_name"), GetParam().run_name);
    EXPECT_EQ(lathe.at("run_name"), nullptr);
    EXPECT_FALSE(hf.contains("stop_on_non_finite_loss"));
}

TEST_P(TrainingArgsHfFixture, EveryTransformersKeyIsKnown) {
    const auto hf = load(defaults_file());
    std::set<std::string> aliases;
    for (const auto& alias : deprecated_aliases())
        aliases.insert(alias.first);
    for (const auto& renamed : new_names())
        aliases.insert(renamed.first);
    for (const auto& item : hf.items())
        EXPECT_TRUE(find_field(item.key()) != nullptr || aliases.count(item.key())) << item.key();
    EXPECT_EQ(hf.size(), GetParam().keys);
}

// Defaults change nothing, so Transformers' own default file reads without a warning.
TEST_P(TrainingArgsHfFixture, DefaultFileReadsQuietly) {
    auto result = from_json(load(defaults_file()), defaults_file());
    EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();
    EXPECT_NO_THROW(validate(result.args));
    EXPECT_EQ(result.args.output_dir, "trainer_output");
    if (GetParam().run_name.is_null())
        EXPECT_FALSE(result.args.run_name.has_value());
    else
        EXPECT_EQ(result.args.run_name, GetParam().run_name.get<std::string>());
}

TEST_P(TrainingArgsHfFixture, ReadsNonDefaults) {
    const auto hf = load(custom_file());
    auto result = from_json(hf, custom_file());
    ASSERT_EQ(result.warnings.size(), 2u);
    EXPECT_NE(result.warnings[0].find("\"dataloader_num_workers\""), std::string::npos)
        << result.warnings[0];
    EXPECT_NE(result.warnings[0].find("its value 2 is ignored"), std::string::npos);
    EXPECT_NE(result.warnings[1].find("\"" + GetParam().unsupported_set + "\""), std::string::npos)
        << result.warnings[1];
    EXPECT_EQ(result.warnings[1].rfind(custom_file() + ": ", 0), 0u);
    EXPECT_NO_THROW(validate(result.args));

    const auto& a = result.args;
    EXPECT_EQ(a.output_dir, "hf_out");
    EXPECT_EQ(a.run_name, "hf-run");
    EXPECT_TRUE(a.do_train);
    EXPECT_TRUE(a.do_eval);
    EXPECT_EQ(a.num_train_epochs, 2.5);
    EXPECT_EQ(a.per_device_train_batch_size, 4);
    EXPECT_EQ(a.per_device_eval_batch_size, 16);
    EXPECT_EQ(a.gradient_accumulation_steps, 2);
    EXPECT_EQ(a.learning_rate, 3e-4);
    EXPECT_EQ(a.weight_decay, 0.01);
    EXPECT_EQ(a.adam_beta2, 0.98);
    EXPECT_EQ(a.adam_epsilon, 1e-6);
    EXPECT_EQ(a.max_grad_norm, 0.5);
    EXPECT_EQ(a.lr_scheduler_type, "cosine_with_min_lr");
    EXPECT_EQ(a.lr_scheduler_kwargs, nlohmann::json({{"min_lr_rate", 0.1}}));
    EXPECT_EQ(a.warmup_steps, 10);  // warmup_ratio 0.0 is 4.x's default and changes nothing
    EXPECT_EQ(a.optim, "adafactor");
    EXPECT_EQ(a.logging_steps, 10);
    EXPECT_TRUE(a.logging_first_step);
    EXPECT_EQ(a.eval_strategy, "steps");
    EXPECT_EQ(a.eval_steps, 20.0);
    EXPECT_EQ(a.eval_delay, 5);
    EXPECT_EQ(a.save_steps, 40);
    EXPECT_EQ(a.save_total_limit, 2);
    EXPECT_TRUE(a.load_best_model_at_end);
    EXPECT_EQ(a.metric_for_best_model, "loss");
    EXPECT_EQ(a.greater_is_better, false);
    EXPECT_EQ(a.seed, 7);
    EXPECT_EQ(a.data_seed, 11);
    EXPECT_EQ(a.label_smoothing_factor, 0.1);
    EXPECT_EQ(a.neftune_noise_alpha, 5.0);
    EXPECT_TRUE(a.gradient_checkpointing);
    EXPECT_TRUE(a.dataloader_drop_last);
    EXPECT_TRUE(a.report_to.empty());
}

// Every supported value reads back as Transformers wrote it.
TEST_P(TrainingArgsHfFixture, EverySupportedValueRoundTrips) {
    const auto hf = load(custom_file());
    const auto lathe = from_json(hf, "hf").args.to_json();
    for (const auto& spec : schema()) {
        if (spec.supported && spec.name != "stop_on_non_finite_loss") {
            EXPECT_EQ(lathe.at(spec.name), hf.at(spec.name)) << spec.name;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Transformers, TrainingArgsHfFixture, ::testing::ValuesIn(releases()),
                         [](const auto& info) { return "v" + info.param.name.substr(0, 1); });

// Transformers 5.2x renamed gradient_checkpointing to activation_checkpointing and writes both.
TEST(TrainingArgsNewNames, ActivationCheckpointingIsGradientCheckpointing) {
    auto a = from_json({{"activation_checkpointing", true}}, "run.json");
    EXPECT_TRUE(a.args.gradient_checkpointing);
    EXPECT_TRUE(a.warnings.empty());
    auto both = from_json({{"activation_checkpointing", true}, {"gradient_checkpointing", true}},
                          "run.json");
    EXPECT_TRUE(both.args.gradient_checkpointing);
    try {
        from_json({{"activation_checkpointing", true}, {"gradient_checkpointing", false}},
                  "run.json");
        FAIL() << "disagreeing names were accepted";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("\"activation_checkpointing\""), std::string::npos) << message;
        EXPECT_NE(message.find("\"gradient_checkpointing\""), std::string::npos) << message;
    }
    TrainingArguments cli;
    apply_overrides(cli, {"--activation-checkpointing"}, nullptr);
    EXPECT_TRUE(cli.gradient_checkpointing);
    apply_overrides(cli, {"--no_activation_checkpointing"}, nullptr);
    EXPECT_FALSE(cli.gradient_checkpointing);
    EXPECT_EQ(schema_json().at("new_names").at("activation_checkpointing"),
              "gradient_checkpointing");
}

}  // namespace
}  // namespace lathe::core::training_args
