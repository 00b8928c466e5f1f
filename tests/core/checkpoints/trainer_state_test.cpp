// trainer_state.json as Transformers writes it: tests/fixtures/checkpoints/hf_*.json come from a
// real Trainer run (tests/fixtures/make_trainer_state_fixture.py, Transformers 4.46.3).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/checkpoints/python_json.h"
#include "core/checkpoints/trainer_state.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::checkpoints {
namespace {
using nlohmann::json;

std::string type_name(const json& v) {
    if (v.is_number_integer())
        return "int";
    if (v.is_number_float())
        return "float";
    return v.type_name();
}

// Same keys, same JSON types and equal values, everywhere below `where`.
void expect_same(const json& expected, const json& actual, const std::string& where) {
    ASSERT_EQ(type_name(actual), type_name(expected)) << where;
    if (expected.is_object()) {
        std::set<std::string> a, b;
        for (const auto& item : expected.items())
            a.insert(item.key());
        for (const auto& item : actual.items())
            b.insert(item.key());
        EXPECT_EQ(b, a) << where;
        for (const auto& item : expected.items()) {
            if (actual.contains(item.key())) {
                expect_same(item.value(), actual[item.key()], where + "." + item.key());
            }
        }
    } else if (expected.is_array()) {
        ASSERT_EQ(actual.size(), expected.size()) << where;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            expect_same(expected[i], actual[i], where + "[" + std::to_string(i) + "]");
        }
    } else {
        EXPECT_EQ(actual, expected) << where;
    }
}

std::string entry_kind(const json& entry) {
    if (entry.contains("eval_loss"))
        return "eval";
    if (entry.contains("train_runtime"))
        return "final";
    if (entry.contains("loss"))
        return "train";
    return "other";
}

void check_hf_file(const std::string& name, const std::set<std::string>& kinds) {
    const auto path = tests::fixture("checkpoints/" + name);
    const std::string text = util::read_file(path);
    const json hf = json::parse(text);
    const auto state = TrainerState::load(path);

    json lathe = state.to_json();
    ASSERT_TRUE(lathe.contains("best_global_step"));  // Transformers v5's key, absent in 4.46.3
    EXPECT_TRUE(lathe["best_global_step"].is_null());
    lathe.erase("best_global_step");
    expect_same(hf, lathe, name);

    std::set<std::string> seen;
    for (const auto& entry : lathe["log_history"])
        seen.insert(entry_kind(entry));
    EXPECT_EQ(seen, kinds) << name;

    // Byte for byte what Transformers wrote.
    EXPECT_EQ(python_json_dumps(lathe, 2) + "\n", text) << name;
}

TEST(TrainerState, CheckpointFileFromTransformersRoundTrips) {
    check_hf_file("hf_trainer_state.json", {"train", "eval"});
    const auto s = TrainerState::load(tests::fixture("checkpoints/hf_trainer_state.json"));
    EXPECT_EQ(s.global_step, 12);
    EXPECT_EQ(s.max_steps, 12);
    EXPECT_EQ(s.epoch, 1.0);
    EXPECT_EQ(s.logging_steps, 1);
    EXPECT_EQ(s.eval_steps, 4);
    EXPECT_EQ(s.save_steps, 4);
    EXPECT_EQ(s.train_batch_size, 4);
    EXPECT_EQ(s.num_train_epochs, 1);
    ASSERT_TRUE(s.best_metric.has_value());
    ASSERT_TRUE(s.best_model_checkpoint.has_value());
    EXPECT_NE(s.best_model_checkpoint->find("checkpoint-8"), std::string::npos);
    EXPECT_FALSE(s.trial_name.has_value());
    EXPECT_TRUE(s.trial_params.is_null());
    EXPECT_EQ(s.stateful_callbacks["EarlyStoppingCallback"]["args"]["early_stopping_patience"], 5);
    EXPECT_TRUE(
        s.stateful_callbacks["TrainerControl"]["args"]["should_training_stop"].is_boolean());
}

TEST(TrainerState, FinalStateFromTransformersRoundTrips) {
    check_hf_file("hf_final_state.json", {"train", "eval", "final"});
}

TEST(TrainerState, JsonTypesMatchTransformers) {
    TrainerState s;
    s.epoch = 2.0;
    s.total_flos = 1234.0;
    s.best_metric = 3.0;
    s.best_global_step = 20;
    s.global_step = 20;
    const json j = s.to_json();
    EXPECT_TRUE(j["epoch"].is_number_float());
    EXPECT_TRUE(j["total_flos"].is_number_float());
    EXPECT_TRUE(j["best_metric"].is_number_float());
    EXPECT_TRUE(j["best_global_step"].is_number_integer());
    EXPECT_TRUE(j["global_step"].is_number_integer());
    const std::string text = s.to_file_text();
    EXPECT_NE(text.find("\"epoch\": 2.0,"), std::string::npos) << text;
    EXPECT_NE(text.find("\"total_flos\": 1234.0,"), std::string::npos);
    EXPECT_NE(text.find("\"log_history\": [],"), std::string::npos);
    EXPECT_NE(text.find("\"stateful_callbacks\": {},"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 25), "  \"trial_params\": null\n}\n");
}

TEST(TrainerState, SaveAndLoadKeepEveryField) {
    TrainerState s;
    s.best_global_step = 30;
    s.best_metric = 0.125;
    s.best_model_checkpoint = "out/checkpoint-30";
    s.epoch = 1.5;
    s.eval_steps = 10;
    s.global_step = 40;
    s.is_hyper_param_search = true;
    s.is_local_process_zero = false;
    s.is_world_process_zero = false;
    s.log_history = json::array({json{{"loss", 2.5}, {"grad_norm", std::nan("")}, {"step", 1}},
                                 json{{"eval_loss", INFINITY}, {"step", 2}}});
    s.logging_steps = 5;
    s.max_steps = 100;
    s.num_input_tokens_seen = 123456;
    s.num_train_epochs = 3;
    s.save_steps = 10;
    s.stateful_callbacks = {
        {"TrainerControl", {{"args", {{"should_save", true}}}, {"attributes", json::object()}}}};
    s.total_flos = 9.5e17;
    s.train_batch_size = 16;
    s.trial_name = "trial-1";
    s.trial_params = {{"lr", 0.001}};
    const auto dir = tests::temp_dir("trainer-state-save");
    const auto path = (dir / "trainer_state.json").string();
    s.save(path);
    const std::string text = util::read_file(path);
    EXPECT_NE(text.find("\"grad_norm\": NaN"), std::string::npos);  // as Python writes it
    EXPECT_NE(text.find("\"eval_loss\": Infinity"), std::string::npos);
    EXPECT_NE(text.find("\"total_flos\": 9.5e+17"), std::string::npos);

    const auto back = TrainerState::load(path);
    EXPECT_TRUE(std::isnan(back.log_history[0]["grad_norm"].get<double>()));
    EXPECT_TRUE(std::isinf(back.log_history[1]["eval_loss"].get<double>()));
    EXPECT_EQ(back.to_file_text(), text);
    EXPECT_EQ(back.best_global_step, 30);
    EXPECT_EQ(back.best_metric, 0.125);
    EXPECT_EQ(back.best_model_checkpoint, "out/checkpoint-30");
    EXPECT_EQ(back.epoch, 1.5);
    EXPECT_EQ(back.global_step, 40);
    EXPECT_TRUE(back.is_hyper_param_search);
    EXPECT_FALSE(back.is_local_process_zero);
    EXPECT_FALSE(back.is_world_process_zero);
    EXPECT_EQ(back.num_input_tokens_seen, 123456);
    EXPECT_EQ(back.total_flos, 9.5e17);
    EXPECT_EQ(back.trial_name, "trial-1");
    EXPECT_EQ(back.trial_params, s.trial_params);
    EXPECT_EQ(back.stateful_callbacks, s.stateful_callbacks);
}

TEST(TrainerState, MissingKeysKeepDefaultsAndUnknownOnesAreIgnored) {
    const auto s = TrainerState::from_json(json{{"global_step", 3}, {"some_future_key", 1}}, "t");
    EXPECT_EQ(s.global_step, 3);
    EXPECT_EQ(s.eval_steps, 500);
    EXPECT_EQ(s.train_batch_size, 8);
    EXPECT_TRUE(s.log_history.is_array());
    EXPECT_TRUE(s.stateful_callbacks.is_object());
}

TEST(TrainerState, IntegerEpochFromAnUntrainedStateReadsAsFloat) {
    // A TrainerState that never trained has epoch 0 and total_flos 0 as Python ints.
    const auto s = TrainerState::from_json(json{{"epoch", 0}, {"total_flos", 0}}, "t");
    EXPECT_TRUE(s.to_json()["epoch"].is_number_float());
    EXPECT_TRUE(s.to_json()["total_flos"].is_number_float());
}

TEST(TrainerState, WrongTypesAreErrorsNamingTheKey) {
    const auto expect_error = [](const json& j, const std::string& fragment) {
        try {
            TrainerState::from_json(j, "ckpt/trainer_state.json");
            FAIL() << "expected an Error for " << j.dump();
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_EQ(message.rfind("ckpt/trainer_state.json: ", 0), 0u) << message;
            EXPECT_NE(message.find(fragment), std::string::npos) << message;
        }
    };
    expect_error(json{{"global_step", 2.5}}, "\"global_step\" must be an integer, got 2.5");
    expect_error(json{{"global_step", "3"}}, "\"global_step\" must be an integer");
    expect_error(json{{"epoch", "1"}}, "\"epoch\" must be a number");
    expect_error(json{{"is_hyper_param_search", 0}},
                 "\"is_hyper_param_search\" must be true or false");
    expect_error(json{{"best_model_checkpoint", 5}}, "\"best_model_checkpoint\" must be a string");
    expect_error(json{{"log_history", json::object()}}, "\"log_history\" must be a list");
    expect_error(json{{"log_history", json::array({1})}},
                 "\"log_history\" must be a list of objects");
    expect_error(json{{"stateful_callbacks", json::array()}},
                 "\"stateful_callbacks\" must be an object");
    expect_error(json::array(), "must be a JSON object");
}

TEST(TrainerState, InvalidJsonNamesFileLineAndColumn) {
    const auto dir = tests::temp_dir("trainer-state-invalid");
    const auto path = (dir / "trainer_state.json").string();
    util::write_file_atomic(path, "{\n  \"epoch\": 1.0,\n  \"global_step\": ,\n}\n");
    try {
        TrainerState::load(path);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ":3:", 0), 0u) << e.what();
    }
}

TEST(TrainerStatePythonJson, FloatsAsPythonRepr) {
    const std::vector<std::pair<double, std::string>> cases = {
        {2.0, "2.0"},
        {0.1, "0.1"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {1234567890123456.0, "1234567890123456.0"},
        {12345678901234567.0, "1.2345678901234568e+16"},
        {1e-5, "1e-05"},
        {0.0001, "0.0001"},
        {0.00012345, "0.00012345"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {1e22, "1e+22"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {100.0, "100.0"},
        {1.5e300, "1.5e+300"},
        {4.5727, "4.5727"},
        {0.0009166666666666666, "0.0009166666666666666"},
        {117374976.0, "117374976.0"},
        {3.2e15, "3200000000000000.0"},
        {123456.789, "123456.789"},
        {-2.5e-7, "-2.5e-07"},
        {std::nan(""), "NaN"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
    };
    for (const auto& [value, text] : cases)
        EXPECT_EQ(python_json_dumps(json(value), 2), text) << text;
}

TEST(TrainerStatePythonJson, StructureAndStringsAsJsonDumps) {
    const json v = {{"b", json::array({1, json::object()})},
                    {"a", "\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80\x7F\x01\"\\\n/"},
                    {"c", json::array()},
                    {"d", {{"z", nullptr}, {"y", true}}}};
    // Python: json.dumps(v, indent=2, sort_keys=True)
    EXPECT_EQ(python_json_dumps(v, 2),
              "{\n"
              "  \"a\": \"\\u00e9\\u2028\\ud83d\\ude00\\u007f\\u0001\\\"\\\\\\n/\",\n"
              "  \"b\": [\n"
              "    1,\n"
              "    {}\n"
              "  ],\n"
              "  \"c\": [],\n"
              "  \"d\": {\n"
              "    \"y\": true,\n"
              "    \"z\": null\n"
              "  }\n"
              "}");
    // Python: json.dumps(v, sort_keys=True)
    EXPECT_EQ(
        python_json_dumps(json{{"b", json::array({1, 2.5})}, {"a", {{"x", json::array()}}}}, -1),
        "{\"a\": {\"x\": []}, \"b\": [1, 2.5]}");
    EXPECT_EQ(python_json_dumps(json("a\xFF"
                                     "b"),
                                -1),
              "\"a\\ufffdb\"");
}

TEST(TrainerStatePythonJson, LoadsReadsPythonNonFiniteLiteralsOutsideStrings) {
    const json j = python_json_loads(
        "{\"a\": NaN, \"b\": [Infinity, -Infinity], \"c\": \"NaN Infinity \\\" -Infinity\"}", "x");
    EXPECT_TRUE(std::isnan(j["a"].get<double>()));
    EXPECT_EQ(j["b"][0].get<double>(), INFINITY);
    EXPECT_EQ(j["b"][1].get<double>(), -INFINITY);
    EXPECT_EQ(j["c"], "NaN Infinity \" -Infinity");
}

}  // namespace
}  // namespace lathe::core::checkpoints
