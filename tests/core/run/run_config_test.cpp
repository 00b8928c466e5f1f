// run.json checks beyond the contract test: values, choices, training_args through
// training_args::from_json, file positions of JSON errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/run/run_config.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::run {
namespace {
using nlohmann::json;

json minimal() {
    return json::parse(
        R"({"model": {"preset": "gpt2-tiny"}, "dataset": {"train_files": ["a.txt"]}})");
}

std::string error_of(const json& j) {
    try {
        parse_run_config(j, "run.json");
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an Error for " << j.dump();
    return "";
}

#define EXPECT_STARTS_WITH(text, prefix) EXPECT_EQ(std::string(text).rfind(prefix, 0), 0u) << (text)
#define EXPECT_CONTAINS(text, part) \
    EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(RunConfig, WrongTypesSayWhatWasExpected) {
    json j = minimal();
    j["dataset"]["block_size"] = 128.5;
    EXPECT_EQ(error_of(j), "run.json: dataset.block_size must be an integer, got 128.5");
    j = minimal();
    j["dataset"]["train_files"] = json::array({"a.txt", 3});
    EXPECT_EQ(error_of(j),
              "run.json: dataset.train_files must be a list of strings, got [\"a.txt\",3]");
    j = minimal();
    j["tokenizer"] = {{"byte_level", "yes"}};
    EXPECT_EQ(error_of(j), "run.json: tokenizer.byte_level must be true or false, got \"yes\"");
}

TEST(RunConfig, NullKeepsTheDefault) {
    json j = minimal();
    j["dataset"]["block_size"] = nullptr;
    j["sample"] = nullptr;
    EXPECT_EQ(parse_run_config(j, "run.json").config.dataset.block_size, 128);
}

TEST(RunConfig, PresetsAreCheckedWithASuggestion) {
    json j = minimal();
    j["model"]["preset"] = "gpt2-smal";
    const auto message = error_of(j);
    EXPECT_STARTS_WITH(message,
                       "run.json: model.preset \"gpt2-smal\" is not one of gpt2-tiny, gpt2-small");
    EXPECT_CONTAINS(message, "(did you mean \"gpt2-small\"?)");
    for (const auto& preset : model_preset_names()) {
        j["model"]["preset"] = preset;
        EXPECT_NO_THROW(parse_run_config(j, "run.json")) << preset;
    }
}

TEST(RunConfig, DtypeIsOneTheModelsTake) {
    json j = minimal();
    for (const char* dtype : {"float32", "bfloat16", "float16", "float64", "bf16", "fp16"}) {
        j["model"]["dtype"] = dtype;
        EXPECT_NO_THROW(parse_run_config(j, "run.json")) << dtype;
    }
    j["model"]["dtype"] = "int8";
    EXPECT_STARTS_WITH(error_of(j),
                       "run.json: model.dtype \"int8\" is not one of float32, bfloat16");
}

TEST(RunConfig, ConfigOverridesApplyToPresetsOnly) {
    json j = minimal();
    j["model"] = {{"path", "models/gpt2"}, {"config_overrides", {{"n_layer", 2}}}};
    EXPECT_STARTS_WITH(error_of(j), "run.json: model.config_overrides applies to presets only");
    j["model"] = {{"preset", "gpt2-tiny"}, {"config_overrides", {{"n_layer", 2}}}};
    EXPECT_EQ(parse_run_config(j, "run.json").config.model.config_overrides,
              json({{"n_layer", 2}}));
}

TEST(RunConfig, ConflictingChoicesAreErrors) {
    json j = minimal();
    j["tokenizer"] = {{"path", "tok.json"}, {"byte_level", true}};
    EXPECT_STARTS_WITH(error_of(j), "run.json: tokenizer: path and byte_level: true both given");
    j = minimal();
    j["dataset"]["embedded_corpus"] = true;
    EXPECT_STARTS_WITH(error_of(j),
                       "run.json: dataset: embedded_corpus: true and train_files both given");
}

TEST(RunConfig, DatasetValuesAreChecked) {
    const auto expect_error = [](const char* key, const json& value, const std::string& start) {
        json j = minimal();
        j["dataset"][key] = value;
        EXPECT_STARTS_WITH(error_of(j), start);
    };
    expect_error("validation_split_percent", 100,
                 "run.json: dataset.validation_split_percent must be in [0, 100)");
    expect_error("validation_split_percent", -1,
                 "run.json: dataset.validation_split_percent must be in [0, 100)");
    expect_error("block_size", 1, "run.json: dataset.block_size must be >= 2, got 1");
    expect_error("text_field", "", "run.json: dataset.text_field must not be empty");
    expect_error("txt_separator", "", "run.json: dataset.txt_separator must not be empty");
    expect_error("train_files", json::array({""}),
                 "run.json: dataset.train_files holds an empty file name");
    expect_error("eval_files", json::array({""}),
                 "run.json: dataset.eval_files holds an empty file name");
}

TEST(RunConfig, SampleValuesAreChecked) {
    const auto expect_error = [](const char* key, const json& value, const std::string& start) {
        json j = minimal();
        j["sample"] = {{"prompt", "Hi"}, {key, value}};
        EXPECT_STARTS_WITH(error_of(j), start);
    };
    expect_error("max_new_tokens", 0, "run.json: sample.max_new_tokens must be >= 1");
    expect_error("temperature", -0.5, "run.json: sample.temperature must be >= 0");
    expect_error("top_k", -1, "run.json: sample.top_k must be >= 0");
    json greedy = minimal();
    greedy["sample"] = {{"prompt", "Hi"}, {"temperature", 0}, {"top_k", 0}};
    EXPECT_NO_THROW(parse_run_config(greedy, "run.json"));
}

TEST(RunConfig, TargetNeedsAKnownKind) {
    json j = minimal();
    j["target"] = {{"host", "node"}};
    EXPECT_STARTS_WITH(error_of(j), "run.json: target.kind must be a string");
    j["target"] = {{"kind", "sssh"}};
    const auto message = error_of(j);
    EXPECT_STARTS_WITH(message, "run.json: target.kind \"sssh\" is not one of local, ssh, slurm");
    EXPECT_CONTAINS(message, "did you mean \"ssh\"?");
    j["target"] = {{"kind", "slurm"}, {"partition", "gpu"}};
    EXPECT_EQ(parse_run_config(j, "run.json").config.target["partition"], "gpu");
}

TEST(RunConfig, TrainingArgsGoThroughTransformersNames) {
    json j = minimal();
    j["training_args"] = {{"learnig_rate", 1e-4}};
    const auto message = error_of(j);
    EXPECT_STARTS_WITH(message, "run.json: training_args: unknown key \"learnig_rate\"");
    EXPECT_CONTAINS(message, "did you mean \"learning_rate\"?");

    j["training_args"] = {{"max_steps", "ten"}};
    EXPECT_STARTS_WITH(error_of(j), "run.json: training_args: ");

    j["training_args"] = {
        {"learning_rate", 3e-4}, {"max_steps", 50}, {"evaluation_strategy", "steps"}};
    const auto parsed = parse_run_config(j, "run.json");
    EXPECT_EQ(parsed.args.learning_rate, 3e-4);
    EXPECT_EQ(parsed.args.max_steps, 50);
    EXPECT_EQ(parsed.args.eval_strategy, "steps");
    ASSERT_EQ(parsed.warnings.size(), 1u);  // the deprecated alias
    EXPECT_STARTS_WITH(parsed.warnings[0], "run.json: training_args");
    EXPECT_CONTAINS(parsed.warnings[0], "evaluation_strategy");
    // The file's own keys are kept as written: run.json says what the user asked for.
    EXPECT_EQ(parsed.config.training_args, j["training_args"]);
}

TEST(RunConfig, NotAnObjectAtTheTop) {
    EXPECT_STARTS_WITH(error_of(json::array()), "run.json must be a JSON object, got []");
}

TEST(RunConfigLoad, InvalidJsonNamesLineAndColumn) {
    const auto dir = tests::temp_dir("run-config-position");
    const auto path = (dir / "run.json").string();
    // nlohmann stops after reading "tra": column 17 of line 3.
    util::write_file_atomic(
        path,
        "{\n  \"model\": {\"preset\": \"gpt2-tiny\"},\n  \"dataset\": {train_files: []}\n}\n");
    try {
        load_run_config(path);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_STARTS_WITH(e.what(), path + ":3:17: invalid JSON: ");
    }
}

TEST(RunConfigLoad, WarningsAndArgsComeBackFromTheFile) {
    const auto dir = tests::temp_dir("run-config-warnings");
    json j = minimal();
    j["training_args"] = {{"evaluation_strategy", "epoch"}};
    const auto path = (dir / "run.json").string();
    util::write_file_atomic(path, j.dump());
    const auto parsed = load_run_config(path);
    EXPECT_EQ(parsed.args.eval_strategy, "epoch");
    ASSERT_EQ(parsed.warnings.size(), 1u);
    EXPECT_STARTS_WITH(parsed.warnings[0], path + ": training_args");
}

TEST(RunConfigDefault, EmbeddedDefaultIsTheQuickCpuRun) {
    const auto c = embedded_default_run_config();
    EXPECT_EQ(c.model.preset, "gpt2-tiny");
    EXPECT_TRUE(c.tokenizer.byte_level);
    EXPECT_TRUE(c.dataset.embedded_corpus);
    EXPECT_EQ(c.dataset.block_size, 128);
    EXPECT_EQ(c.sample.prompt, "Q: What do you call");
    const auto parsed = parse_run_config(to_json(c), "embedded default");
    EXPECT_TRUE(parsed.warnings.empty());
    const auto& a = parsed.args;
    EXPECT_EQ(a.max_steps, 300);
    EXPECT_EQ(a.per_device_train_batch_size, 16);
    EXPECT_EQ(a.warmup_steps, 30);
    EXPECT_EQ(a.lr_scheduler_type, "cosine");
    EXPECT_EQ(a.logging_steps, 10);
    EXPECT_EQ(a.eval_strategy, "steps");
    EXPECT_EQ(a.eval_steps, std::optional<double>(100));
    EXPECT_EQ(a.save_steps, 100);
    EXPECT_EQ(a.save_total_limit, std::optional<std::int64_t>(2));
    EXPECT_EQ(a.weight_decay, 0.01);
    EXPECT_EQ(a.output_dir, "lathe-runs/embedded-default");
}

}  // namespace
}  // namespace lathe::core::run
