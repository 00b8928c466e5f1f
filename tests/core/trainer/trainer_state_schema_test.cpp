// trainer_state.json written by Lathe has the keys and JSON value types of one written by
// Transformers' Trainer (tests/fixtures/trainer/hf_trainer_state.json, a real checkpoint with
// best-model tracking and early stopping), including every kind of log_history entry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/models/model_folder.h"
#include "core/trainer/trainer.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string kind(const json& entry) {
    if (entry.contains("eval_loss"))
        return "eval";
    if (entry.contains("train_runtime"))
        return "final";
    return "train";
}

std::string type_name(const json& v) {
    if (v.is_number_integer())
        return "int";
    if (v.is_number_float())
        return "float";
    return v.type_name();
}

void expect_same_shape(const json& hf, const json& lathe, const std::string& where) {
    for (const auto& item : hf.items()) {
        ASSERT_TRUE(lathe.contains(item.key())) << where << "." << item.key() << " missing";
        if (item.value().is_null())
            continue;  // e.g. trial_name: None in both
        EXPECT_EQ(type_name(lathe[item.key()]), type_name(item.value()))
            << where << "." << item.key();
    }
}

// 4.46.3's file (torch 1.13) and 5.24.0's (torch 2.6, make_trainer_v5_fixtures.py).
class TrainerStateSchema : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerStateSchema, MatchesTransformersCheckpoint) {
    const json hf =
        json::parse(util::read_file(tests::fixture(GetParam() + "hf_trainer_state.json")));
    auto args_json = json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    auto out = tests::temp_dir("state-schema");
    args_json["output_dir"] = out.string();
    args_json["save_strategy"] = "steps";
    args_json["save_steps"] = 10;
    args_json["save_total_limit"] = 1;
    args_json["load_best_model_at_end"] = true;
    args_json["metric_for_best_model"] = "loss";
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    options.shuffle = false;
    options.early_stopping = EarlyStoppingSpec{3, 0.0};
    Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                    testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                    options);
    trainer.train();
    const json lathe =
        json::parse(util::read_file((out / "checkpoint-20" / "trainer_state.json").string()));

    std::set<std::string> hf_keys, lathe_keys;
    for (const auto& item : hf.items())
        hf_keys.insert(item.key());
    for (const auto& item : lathe.items())
        lathe_keys.insert(item.key());
    if (!hf_keys.count("best_global_step"))
        lathe_keys.erase("best_global_step");  // Transformers v5's key; 4.46.3 predates it
    EXPECT_EQ(lathe_keys, hf_keys);
    expect_same_shape(hf, lathe, "trainer_state");
    expect_same_shape(hf["stateful_callbacks"], lathe["stateful_callbacks"], "stateful_callbacks");
    EXPECT_EQ(lathe["stateful_callbacks"]["EarlyStoppingCallback"]["args"],
              hf["stateful_callbacks"]["EarlyStoppingCallback"]["args"]);

    std::map<std::string, json> hf_entries, lathe_entries;
    for (const auto& e : hf["log_history"])
        hf_entries.emplace(kind(e), e);
    for (const auto& e : lathe["log_history"])
        lathe_entries.emplace(kind(e), e);
    for (const auto& [k, e] : hf_entries) {
        ASSERT_TRUE(lathe_entries.count(k)) << k;
        std::set<std::string> a, b;
        for (const auto& item : e.items())
            a.insert(item.key());
        for (const auto& item : lathe_entries[k].items())
            b.insert(item.key());
        EXPECT_EQ(b, a) << "log_history entry kind " << k;
        expect_same_shape(e, lathe_entries[k], "log_history[" + k + "]");
    }
    // Rotation with save_total_limit 1 keeps the best checkpoint beside the last one.
    ASSERT_TRUE(lathe["best_model_checkpoint"].is_string());
    EXPECT_TRUE(fs::exists(lathe["best_model_checkpoint"].get<std::string>()));
}

INSTANTIATE_TEST_SUITE_P(Transformers, TrainerStateSchema,
                         ::testing::Values("trainer/", "trainer/v5/"), [](const auto& info) {
                             return info.param == "trainer/" ? std::string("v4") : "v5";
                         });

TEST(TrainerStateFiles, CheckpointHoldsTransformersFilesExceptPythonOnlyOnes) {
    auto args_json = json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    auto out = tests::temp_dir("state-files");
    args_json["output_dir"] = out.string();
    args_json["save_strategy"] = "steps";
    args_json["save_steps"] = 20;
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                    testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                    options);
    trainer.train();
    for (const char* release : {"trainer/", "trainer/v5/"}) {
        std::ifstream list(tests::fixture(std::string(release) + "hf_checkpoint_files.txt"));
        ASSERT_TRUE(list.is_open()) << release;
        std::string name;
        while (std::getline(list, name)) {
            // rng_state.pth must hold Python and numpy RNG states and training_args.bin a
            // pickled Python dataclass: Lathe writes lathe_rng_state.pt and training_args.json.
            if (name == "rng_state.pth" || name == "training_args.bin" || name.empty())
                continue;
            EXPECT_TRUE(fs::exists(out / "checkpoint-20" / name)) << release << name;
        }
    }
    EXPECT_TRUE(fs::exists(out / "checkpoint-20" / "training_args.json"));
    EXPECT_FALSE(fs::exists(out / "checkpoint-20" / "rng_state.pth"));
}

}  // namespace
}  // namespace lathe::core::trainer
