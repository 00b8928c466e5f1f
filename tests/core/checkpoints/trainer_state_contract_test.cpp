// trainer_state.json: Lathe reads what Transformers 4.46.3 writes and writes it back unchanged
// (tests/fixtures/trainer/hf_trainer_state.json is a real checkpoint's file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/checkpoints/trainer_state.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::checkpoints {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const std::string kFixture = "trainer/hf_trainer_state.json";

json hf_state() {
    return json::parse(util::read_file(tests::fixture(kFixture)));
}

// Equal values of the same JSON kinds: 4.0 must stay a float and 4 an integer, or Python reads
// back a different type.
// JSON's kinds: nlohmann tells a parsed 5 (unsigned) from a stored int64 5, JSON does not.
std::string kind(const json& v) {
    if (v.is_number_integer())
        return "integer";
    if (v.is_number_float())
        return "float";
    return v.type_name();
}

void expect_identical(const json& expected, const json& actual, const std::string& where) {
    ASSERT_EQ(kind(expected), kind(actual))
        << where << ": " << expected.dump() << " vs " << actual.dump();
    if (expected.is_object()) {
        std::set<std::string> a, b;
        for (const auto& item : expected.items())
            a.insert(item.key());
        for (const auto& item : actual.items())
            b.insert(item.key());
        ASSERT_EQ(a, b) << where;
        for (const auto& item : expected.items()) {
            expect_identical(item.value(), actual[item.key()], where + "." + item.key());
        }
    } else if (expected.is_array()) {
        ASSERT_EQ(expected.size(), actual.size()) << where;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            expect_identical(expected[i], actual[i], where + "[" + std::to_string(i) + "]");
        }
    } else {
        EXPECT_EQ(expected, actual) << where;
    }
}

TEST(TrainerStateFile, FixtureRoundTripsWithBestGlobalStepTheOnlyExtraKey) {
    const json hf = hf_state();
    ASSERT_FALSE(hf.contains("best_global_step"))
        << "the fixture is from 4.46.3, before best_global_step";
    const json lathe = TrainerState::from_json(hf, kFixture).to_json();

    std::set<std::string> extra;
    for (const auto& item : lathe.items()) {
        if (!hf.contains(item.key()))
            extra.insert(item.key());
    }
    EXPECT_EQ(extra, std::set<std::string>{"best_global_step"});
    EXPECT_TRUE(lathe["best_global_step"].is_null());

    json without_extra = lathe;
    without_extra.erase("best_global_step");
    expect_identical(hf, without_extra, "trainer_state");
}

TEST(TrainerStateFile, FixtureFieldsAreRead) {
    const auto s = TrainerState::from_json(hf_state(), kFixture);
    ASSERT_TRUE(s.best_metric.has_value());
    EXPECT_DOUBLE_EQ(*s.best_metric, 4.566218852996826);
    EXPECT_EQ(s.best_model_checkpoint,
              std::optional<std::string>("/tmp/tmpgdyayqpi/checkpoint-20"));
    EXPECT_FALSE(s.best_global_step.has_value());
    EXPECT_DOUBLE_EQ(s.epoch, 4.0);
    EXPECT_EQ(s.eval_steps, 5);
    EXPECT_EQ(s.global_step, 20);
    EXPECT_EQ(s.logging_steps, 1);
    EXPECT_EQ(s.max_steps, 20);
    EXPECT_EQ(s.num_train_epochs, 4);
    EXPECT_EQ(s.save_steps, 10);
    EXPECT_EQ(s.train_batch_size, 4);
    EXPECT_DOUBLE_EQ(s.total_flos, 391249920.0);
    EXPECT_EQ(s.log_history.size(), 24u);
    EXPECT_FALSE(s.trial_name.has_value());
    EXPECT_TRUE(s.trial_params.is_null());
    EXPECT_EQ(s.stateful_callbacks["EarlyStoppingCallback"]["args"]["early_stopping_patience"], 3);
}

TEST(TrainerStateFile, SavedFileIsTransformersTextPlusBestGlobalStep) {
    // json.dumps(asdict(state), indent=2, sort_keys=True) + "\n": the same bytes, apart from the
    // one line Transformers 4.46.3 does not write.
    const auto dir = tests::temp_dir("trainer-state-bytes");
    const auto path = (dir / "trainer_state.json").string();
    TrainerState::load(tests::fixture(kFixture)).save(path);
    std::string text = util::read_file(path);
    const std::string extra_line = "  \"best_global_step\": null,\n";
    const auto at = text.find(extra_line);
    ASSERT_NE(at, std::string::npos) << text.substr(0, 200);
    EXPECT_EQ(at, 2u) << "sorted keys: best_global_step comes first";
    text.erase(at, extra_line.size());
    EXPECT_EQ(text, util::read_file(tests::fixture(kFixture)));
}

TEST(TrainerStateFile, SaveAndLoadKeepEveryField) {
    TrainerState s;
    s.best_global_step = 40;
    s.best_metric = 0.125;
    s.best_model_checkpoint = "/runs/a/checkpoint-40";
    s.epoch = 2.5;
    s.eval_steps = 20;
    s.global_step = 50;
    s.is_hyper_param_search = true;
    s.is_local_process_zero = false;
    s.is_world_process_zero = false;
    s.log_history = json::parse(
        R"([{"loss": 2.5, "grad_norm": 1.0, "learning_rate": 1e-05, "epoch": 0.5, "step": 10},
                                    {"eval_loss": 2.25, "epoch": 1.0, "step": 20}])");
    s.logging_steps = 10;
    s.max_steps = 100;
    s.num_input_tokens_seen = 123456;
    s.num_train_epochs = 4;
    s.save_steps = 20;
    s.stateful_callbacks =
        json::parse(R"({"TrainerControl": {"args": {"should_save": true}, "attributes": {}}})");
    s.total_flos = 1.5e16;
    s.train_batch_size = 16;
    s.trial_name = "trial-1";
    s.trial_params = json::parse(R"({"learning_rate": 0.001})");

    const auto path = (tests::temp_dir("trainer-state-save") / "trainer_state.json").string();
    s.save(path);
    const std::string text = util::read_file(path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.rfind("{\n  \"", 0), 0u) << "indent 2";

    const auto back = TrainerState::load(path);
    expect_identical(s.to_json(), back.to_json(), "trainer_state");
    EXPECT_EQ(back.best_global_step, std::optional<std::int64_t>(40));
    EXPECT_EQ(back.trial_name, std::optional<std::string>("trial-1"));
    EXPECT_EQ(back.is_local_process_zero, false);
    EXPECT_EQ(back.num_input_tokens_seen, 123456);
}

TEST(TrainerStateFile, SaveReplacesAnOldFileWithoutLeftovers) {
    const auto dir = tests::temp_dir("trainer-state-replace");
    const auto path = (dir / "trainer_state.json").string();
    TrainerState s;
    s.global_step = 1;
    s.save(path);
    s.global_step = 2;
    s.save(path);
    EXPECT_EQ(TrainerState::load(path).global_step, 2);
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1u);
}

TEST(TrainerStateFile, MissingKeysKeepTheirDefaults) {
    const auto s = TrainerState::from_json(json::object(), "empty.json");
    const TrainerState defaults;
    EXPECT_EQ(s.to_json(), defaults.to_json());
}

TEST(TrainerStateFile, ErrorsNameTheFileAndTheKey) {
    try {
        TrainerState::from_json(json::parse(R"({"global_step": "twenty"})"),
                                "ckpt/trainer_state.json");
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("ckpt/trainer_state.json"), std::string::npos) << message;
        EXPECT_NE(message.find("global_step"), std::string::npos) << message;
    }
    try {
        TrainerState::from_json(json::array(), "ckpt/trainer_state.json");
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("ckpt/trainer_state.json"), std::string::npos)
            << e.what();
    }

    const auto dir = tests::temp_dir("trainer-state-bad");
    const auto bad = (dir / "trainer_state.json").string();
    util::write_file_atomic(bad, "{\"global_step\": 3,");
    try {
        TrainerState::load(bad);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
    const auto missing = (dir / "nothing.json").string();
    try {
        TrainerState::load(missing);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace lathe::core::checkpoints
