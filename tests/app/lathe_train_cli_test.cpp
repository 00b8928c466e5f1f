// lathe-train as a user runs it: a real process, real files, exit codes and events.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/events/event_writer.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::app {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

tests::CommandResult run(const std::string& arguments) {
    return tests::run_command(std::string(LATHE_TRAIN_BINARY) + " --no-progress " + arguments);
}

// A small corpus and a run.json for a one-layer GPT-2 that trains in a few seconds.
fs::path write_run(const std::string& name, json training_args_overrides = json::object()) {
    auto dir = tests::temp_dir("cli-" + name);
    std::ofstream corpus(dir / "corpus.txt");
    for (int i = 0; i < 300; ++i) {
        corpus << "Paragraph " << i << ": the quick brown fox jumps over the lazy dog " << i % 7
               << " times.\n\n";
    }
    corpus.close();
    json args = {{"output_dir", "out"},   {"max_steps", 6},     {"per_device_train_batch_size", 4},
                 {"learning_rate", 1e-3}, {"logging_steps", 2}, {"eval_strategy", "steps"},
                 {"eval_steps", 3},       {"save_steps", 3},    {"seed", 1},
                 {"use_cpu", true}};  // the same CPU runs on a GPU machine
    for (const auto& item : training_args_overrides.items())
        args[item.key()] = item.value();
    json config = {
        {"name", name},
        {"model",
         {{"preset", "gpt2-tiny"},
          {"config_overrides",
           {{"n_embd", 32}, {"n_layer", 1}, {"n_head", 2}, {"n_positions", 64}}}}},
        {"tokenizer", {{"byte_level", true}}},
        {"dataset",
         {{"train_files", {"corpus.txt"}}, {"block_size", 32}, {"validation_split_percent", 10}}},
        {"sample", {{"prompt", "The quick"}, {"max_new_tokens", 8}}},
        {"training_args", args}};
    core::util::write_file_atomic((dir / "run.json").string(), config.dump(2));
    return dir;
}

std::vector<json> events_of(const fs::path& run_dir) {
    return core::events::read_events((run_dir / "events.jsonl").string(), 0).events;
}

TEST(LatheTrainCli, TrainsARunAndWritesEventsAndCheckpoints) {
    auto dir = write_run("ok");
    auto r =
        run("--config " + (dir / "run.json").string() + " --run-dir " + (dir / "run").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(dir / "run" / "run.json"));
    EXPECT_TRUE(fs::exists(dir / "run" / "out" / "checkpoint-6" / "model.safetensors"));
    auto events = events_of(dir / "run");
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front()["type"], "run_started");
    EXPECT_EQ(events.back()["type"], "run_finished");
    int samples = 0, evals = 0;
    for (const auto& e : events) {
        samples += e["type"] == "sample";
        evals += e["type"] == "eval";
    }
    EXPECT_EQ(evals, 2);
    EXPECT_EQ(samples, 2);
}

TEST(LatheTrainCli, CommandLineOverridesTrainingArguments) {
    auto dir = write_run("override");
    auto r = run("--config " + (dir / "run.json").string() + " --run-dir " +
                 (dir / "run").string() + " --max-steps=2 --learning_rate 5e-4 --save_strategy no");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto saved = json::parse(core::util::read_file((dir / "run" / "run.json").string()));
    EXPECT_EQ(saved["training_args"]["max_steps"], 2);
    EXPECT_DOUBLE_EQ(saved["training_args"]["learning_rate"].get<double>(), 5e-4);
    EXPECT_EQ(events_of(dir / "run").back()["metrics"]["step"], 2);
}

TEST(LatheTrainCli, UnknownKeyIsAnInvalidConfigWithASuggestionAndStartsNothing) {
    auto dir = write_run("typo", {{"learnig_rate", 1e-3}});
    auto r =
        run("--config " + (dir / "run.json").string() + " --run-dir " + (dir / "run").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("learning_rate"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "run"));  // a bad config never half-starts a run
}

TEST(LatheTrainCli, ConflictingArgumentsAreRefusedBeforeStarting) {
    auto dir = write_run("fp16bf16", {{"fp16", true}, {"bf16", true}});
    auto r =
        run("--config " + (dir / "run.json").string() + " --run-dir " + (dir / "run").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("fp16"), std::string::npos) << r.output;
}

TEST(LatheTrainCli, MissingDataFileIsADataError) {
    auto dir = write_run("nodata");
    fs::remove(dir / "corpus.txt");
    auto r =
        run("--config " + (dir / "run.json").string() + " --run-dir " + (dir / "run").string());
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("corpus.txt"), std::string::npos) << r.output;
    EXPECT_EQ(events_of(dir / "run").back()["reason"], "data_error");
}

TEST(LatheTrainCli, DryRunPrintsThePlanAndTrainsNothing) {
    auto dir = write_run("dry");
    auto r = run("--config " + (dir / "run.json").string() + " --run-dir " +
                 (dir / "run").string() + " --dry-run");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const auto& word : {"parameters", "device           cpu", "memory estimate",
                             "optimizer steps/epoch", "first step"}) {
        EXPECT_NE(r.output.find(word), std::string::npos) << word << "\n" << r.output;
    }
    EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(LatheTrainCli, DryRunRefusesFp16OnTheCpuAsTheRunWould) {
    auto dir = write_run("dry-fp16", {{"fp16", true}, {"use_cpu", true}});
    auto r = run("--config " + (dir / "run.json").string() + " --dry-run");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("training_args.fp16 needs a CUDA device"), std::string::npos)
        << r.output;
}

// libtorch's own errors are messages, not aborts: float16 weights on the CPU fail in the dry
// run's step (libtorch 1.13 has no CPU float16 dropout kernel; a libtorch that has one trains).
TEST(LatheTrainCli, ALibtorchErrorInTheDryRunIsAMessageNotAnAbort) {
    auto dir = write_run("dry-half");
    auto config = json::parse(core::util::read_file((dir / "run.json").string()));
    config["model"]["dtype"] = "float16";
    core::util::write_file_atomic((dir / "run.json").string(), config.dump(2));
    auto r = run("--config " + (dir / "run.json").string() + " --dry-run");
    EXPECT_NE(r.exit_code, 134) << "aborted:\n" << r.output;
    if (r.exit_code != 0) {
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.output.find("lathe-train: failed: "), std::string::npos) << r.output;
    }
}

TEST(LatheTrainCli, PrintSchemaIsJsonWithEveryField) {
    auto r = run("--print-schema");
    ASSERT_EQ(r.exit_code, 0);
    auto schema = json::parse(r.output);
    bool has_lr = false;
    for (const auto& f : schema["fields"]) {
        has_lr |= f["name"] == "learning_rate";
        EXPECT_FALSE(f["help"].get<std::string>().empty()) << f.dump();
    }
    EXPECT_TRUE(has_lr);
}

TEST(LatheTrainCli, SigtermSavesAndExitsWithStopped) {
    auto dir = write_run("sigterm",
                         {{"max_steps", 100000}, {"save_strategy", "no"}, {"eval_strategy", "no"}});
    const std::string binary = LATHE_TRAIN_BINARY;
    const std::string config = (dir / "run.json").string(), run_dir = (dir / "run").string();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::freopen("/dev/null", "w", stdout);
        ::execl(binary.c_str(), binary.c_str(), "--no-progress", "--config", config.c_str(),
                "--run-dir", run_dir.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Wait for the first logged step, then ask it to stop.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool logged = false;
    while (!logged && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (fs::exists(dir / "run" / "events.jsonl")) {
            for (const auto& e : events_of(dir / "run"))
                logged |= e["type"] == "log";
        }
    }
    ASSERT_TRUE(logged);
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);
    auto events = events_of(dir / "run");
    EXPECT_EQ(events.back()["type"], "run_finished");
    EXPECT_EQ(events.back()["reason"], "stopped");
    bool saved = false;
    for (const auto& e : events)
        saved |= e["type"] == "checkpoint_saved";
    EXPECT_TRUE(saved);
}

}  // namespace
}  // namespace lathe::app
