// SIGTERM saves a checkpoint and stops with reason "stopped"; SIGUSR1 saves and goes on.
// Signals are raised from a callback at a known step, so the test does not depend on timing.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "core/events/event_writer.h"
#include "core/models/model_folder.h"
#include "core/trainer/run_signals.h"
#include "core/trainer/trainer.h"
#include "core/util/file_io.h"
#include "tests/core/trainer/trainer_test_util.h"

namespace lathe::core::trainer {
namespace {
namespace fs = std::filesystem;

class RaiseAt : public TrainerCallback {
  public:
    RaiseAt(std::int64_t step, int signal) : step_(step), signal_(signal) {}
    void on_step_end(const checkpoints::TrainerState& state, TrainerControl&) override {
        if (state.global_step == step_)
            std::raise(signal_);
    }

  private:
    std::int64_t step_;
    int signal_;
};

struct Run {
    TrainOutcome outcome;
    fs::path out;
    std::vector<nlohmann::json> events;
};

Run run_with(std::shared_ptr<TrainerCallback> callback, const std::string& name) {
    reset_run_signals();
    install_run_signal_handlers();
    auto args_json =
        nlohmann::json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    Run r;
    r.out = tests::temp_dir(name);
    args_json["output_dir"] = r.out.string();
    args_json["save_strategy"] = "no";
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = r.out.string();
    options.events_path = (r.out / "events.jsonl").string();
    options.callbacks.push_back(callback);
    Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                    testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                    options);
    r.outcome = trainer.train();
    r.events = events::read_events(options.events_path, 0).events;
    reset_run_signals();
    return r;
}

TEST(RunSignals, SigtermSavesACheckpointAndStops) {
    auto r = run_with(std::make_shared<RaiseAt>(3, SIGTERM), "sigterm");
    EXPECT_EQ(r.outcome.reason, "stopped");
    EXPECT_EQ(r.outcome.global_step, 3);
    EXPECT_TRUE(fs::exists(r.out / "checkpoint-3" / "trainer_state.json"));
    ASSERT_FALSE(r.events.empty());
    EXPECT_EQ(r.events.back()["type"], "run_finished");
    EXPECT_EQ(r.events.back()["reason"], "stopped");
}

TEST(RunSignals, Sigusr1SavesNowAndTrainingGoesOn) {
    auto r = run_with(std::make_shared<RaiseAt>(2, SIGUSR1), "sigusr1");
    EXPECT_EQ(r.outcome.reason, "completed");
    EXPECT_EQ(r.outcome.global_step, 20);
    EXPECT_TRUE(fs::exists(r.out / "checkpoint-2" / "trainer_state.json"));
    int saved = 0;
    for (const auto& e : r.events)
        saved += e["type"] == "checkpoint_saved";
    EXPECT_EQ(saved, 1);  // save_strategy "no": only the one asked for
}

class StopAt : public TrainerCallback {
  public:
    void on_step_end(const checkpoints::TrainerState& state, TrainerControl& control) override {
        if (state.global_step == 4)
            control.should_training_stop = true;
    }
};

TEST(Callbacks, ControlFlagsFromACallbackAreObeyed) {
    auto r = run_with(std::make_shared<StopAt>(), "callback-stop");
    EXPECT_EQ(r.outcome.global_step, 4);
}

TEST(EventsContract, RunWritesStartedLogsAndExactlyOneEnd) {
    auto r = run_with(std::make_shared<StopAt>(), "events");
    ASSERT_GE(r.events.size(), 3u);
    EXPECT_EQ(r.events.front()["type"], "run_started");
    EXPECT_TRUE(r.events.front().contains("parameter_count"));
    std::int64_t expected_seq = 1, ends = 0, logs = 0;
    for (const auto& e : r.events) {
        EXPECT_EQ(e["seq"].get<std::int64_t>(), expected_seq++);
        ends += e["type"] == "run_finished" || e["type"] == "run_failed";
        if (e["type"] == "log") {
            ++logs;
            for (const auto& key :
                 {"loss", "grad_norm", "learning_rate", "epoch", "step", "tokens_per_second"}) {
                EXPECT_TRUE(e.contains(key)) << key;
            }
        }
    }
    EXPECT_EQ(ends, 1);
    EXPECT_EQ(logs, 4);
}

TEST(EventsContract, NonFiniteLossStopsTheRunWhenAsked) {
    auto args_json =
        nlohmann::json::parse(util::read_file(tests::fixture("trainer/schedule_args.json")));
    auto out = tests::temp_dir("nonfinite");
    args_json["output_dir"] = out.string();
    args_json["learning_rate"] = 1e30;  // blows the weights up within a few steps
    args_json["max_grad_norm"] = 0.0;
    args_json["stop_on_non_finite_loss"] = true;
    TrainerOptions options;
    options.args = testing::args_from(args_json);
    options.output_dir = out.string();
    options.events_path = (out / "events.jsonl").string();
    Trainer trainer(models::load_model(tests::fixture("trainer/tiny-gpt2-init")), std::nullopt,
                    testing::blocks_from_fixture("train"), testing::blocks_from_fixture("eval"),
                    options);
    EXPECT_THROW(trainer.train(), RunFailure);
    auto events = events::read_events(options.events_path, 0).events;
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back()["type"], "run_failed");
    EXPECT_EQ(events.back()["reason"], "non_finite_loss");
}

}  // namespace
}  // namespace lathe::core::trainer
