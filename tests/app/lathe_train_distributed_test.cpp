// Data-parallel lathe-train as users run it: `--nproc-per-node N` Gloo processes on this machine,
// checked against one process with an N times larger batch (the same samples per step by design).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/safetensors/file.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"
#include "tests/tiny_run_config.h"

namespace lathe::app {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

tests::CommandResult run(const std::string& arguments) {
    return tests::run_command(std::string(LATHE_TRAIN_BINARY) + " --no-progress " + arguments);
}

// The tests' tiny GPT-2 without dropout (each rank would draw its own masks), its run.json in
// dir/config-<name>/.
fs::path write_config(const fs::path& dir, const std::string& name, const json& args_overrides) {
    return tests::write_tiny_run_config(
        dir / ("config-" + name), name, args_overrides,
        {{"resid_pdrop", 0.0}, {"embd_pdrop", 0.0}, {"attn_pdrop", 0.0}});
}

std::vector<json> events_of(const fs::path& run_dir) {
    return core::events::read_events((run_dir / "events.jsonl").string(), 0).events;
}

std::vector<json> of_type(const std::vector<json>& events, const std::string& type) {
    std::vector<json> out;
    for (const auto& e : events)
        if (e["type"] == type)
            out.push_back(e);
    return out;
}

std::map<std::string, std::vector<float>> weights(const fs::path& checkpoint) {
    auto file = core::safetensors::File::open((checkpoint / "model.safetensors").string());
    std::map<std::string, std::vector<float>> out;
    for (const auto& t : file.header().tensors) {
        std::vector<float> values(static_cast<std::size_t>(t.numel()));
        std::memcpy(values.data(), file.data(t), values.size() * sizeof(float));
        out[t.name] = std::move(values);
    }
    return out;
}

double max_weight_difference(const fs::path& a, const fs::path& b) {
    const auto wa = weights(a);
    const auto wb = weights(b);
    EXPECT_EQ(wa.size(), wb.size());
    double worst = 0.0;
    for (const auto& [name, values] : wa) {
        const auto& other = wb.at(name);
        EXPECT_EQ(values.size(), other.size()) << name;
        for (std::size_t i = 0; i < values.size() && i < other.size(); ++i)
            worst = std::max(worst, std::abs(static_cast<double>(values[i]) - other[i]));
    }
    return worst;
}

// Loss, grad_norm and eval_loss of every logged step agree within `tolerance`.
void expect_same_trajectory(const std::vector<json>& a, const std::vector<json>& b,
                            double tolerance) {
    const auto logs_a = of_type(a, "log"), logs_b = of_type(b, "log");
    ASSERT_EQ(logs_a.size(), logs_b.size());
    ASSERT_FALSE(logs_a.empty());
    for (std::size_t i = 0; i < logs_a.size(); ++i) {
        EXPECT_EQ(logs_a[i]["step"], logs_b[i]["step"]);
        EXPECT_NEAR(logs_a[i]["loss"].get<double>(), logs_b[i]["loss"].get<double>(), 1e-4)
            << "step " << logs_a[i]["step"];  // logged rounded to 4 decimals, as Transformers
        EXPECT_NEAR(logs_a[i]["grad_norm"].get<double>(), logs_b[i]["grad_norm"].get<double>(),
                    tolerance)
            << "step " << logs_a[i]["step"];
    }
    const auto evals_a = of_type(a, "eval"), evals_b = of_type(b, "eval");
    ASSERT_EQ(evals_a.size(), evals_b.size());
    for (std::size_t i = 0; i < evals_a.size(); ++i) {
        EXPECT_NEAR(evals_a[i]["eval_loss"].get<double>(), evals_b[i]["eval_loss"].get<double>(),
                    tolerance);
    }
}

// SGD: the sums over a batch split across ranks round differently in the last bit, and Adam's
// first steps (about lr * sign(g)) turn that into lr-sized steps for gradients near zero. With SGD
// the comparison sees the data parallelism alone.
// On GPUs (one per rank, NCCL) the one-process run is on GPU 0; the tolerance allows for CUDA's
// kernels summing in another order than the CPU's.
void expect_matches_one_process(int processes, int accumulation = 1, bool on_gpus = false) {
    const auto dir = tests::temp_dir("dp-" + std::to_string(processes) + "-" +
                                     std::to_string(accumulation) + (on_gpus ? "-gpu" : ""));
    const json sgd = {{"optim", "sgd"},
                      {"learning_rate", 0.05},
                      {"gradient_accumulation_steps", accumulation},
                      {"use_cpu", !on_gpus}};
    const double tolerance = on_gpus ? 1e-4 : 1e-5;
    auto with_batch = [&](int batch) {
        json args = sgd;
        args["per_device_train_batch_size"] = batch;
        return args;
    };
    const auto one = write_config(dir, "one", with_batch(4 * processes));
    const auto many = write_config(dir, "many", with_batch(4));
    auto r1 = run("--config " + one.string() + " --run-dir " + (dir / "one").string());
    ASSERT_EQ(r1.exit_code, 0) << r1.output;
    auto rn = run("--config " + many.string() + " --run-dir " + (dir / "many").string() +
                  " --nproc-per-node " + std::to_string(processes));
    ASSERT_EQ(rn.exit_code, 0) << rn.output;

    const auto events_one = events_of(dir / "one");
    const auto events_many = events_of(dir / "many");
    const auto started = of_type(events_many, "run_started");
    ASSERT_EQ(started.size(), 1u);
    EXPECT_EQ(started[0]["world_size"], processes);
    EXPECT_EQ(started[0]["backend"], on_gpus ? "nccl" : "gloo");
    EXPECT_EQ(started[0]["device"], on_gpus ? "cuda:0" : "cpu");
    EXPECT_EQ(started[0]["global_batch_size"], 4 * processes * accumulation);
    expect_same_trajectory(events_one, events_many, tolerance);
    EXPECT_LT(max_weight_difference(dir / "one" / "trainer_output" / "checkpoint-8",
                                    dir / "many" / "trainer_output" / "checkpoint-8"),
              tolerance);
    // Every rank's RNG is part of the checkpoint.
    for (int r = 0; r < processes; ++r) {
        EXPECT_TRUE(fs::exists(dir / "many" / "trainer_output" / "checkpoint-8" /
                               ("lathe_rng_state_" + std::to_string(r) + ".pt")));
    }
    // Other ranks' logs are kept beside the run.
    EXPECT_TRUE(fs::exists(dir / "many" / "ranks" / "rank-1.stdout.log"));
    EXPECT_EQ(of_type(events_many, "run_finished").size(), 1u);
}

// GPUs lathe-train can use: none in a CPU build of libtorch; else those the driver shows
// (nvidia-smi -L), or fewer where CUDA_VISIBLE_DEVICES lists fewer.
int usable_gpus() {
    if (!LATHE_TRAIN_HAS_CUDA)
        return 0;
    const auto r = tests::run_command("nvidia-smi -L 2>/dev/null");
    if (r.exit_code != 0)
        return 0;
    int count = 0;
    for (std::size_t at = r.output.find("GPU "); at != std::string::npos;
         at = r.output.find("\nGPU ", at + 1))
        ++count;
    if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES")) {
        const std::string list = visible;
        const int listed =
            list.empty() ? 0 : 1 + static_cast<int>(std::count(list.begin(), list.end(), ','));
        count = std::min(count, listed);
    }
    return count;
}

TEST(LatheTrainDistributed, OnTwoGpusNcclRanksMatchOneGpuWithTwiceTheBatch) {
    if (usable_gpus() < 2)
        GTEST_SKIP() << "needs a CUDA build of lathe-train and two GPUs (CI has neither)";
    expect_matches_one_process(2, 1, /*on_gpus=*/true);
}

TEST(LatheTrainDistributed, TwoProcessesMatchOneWithTwiceTheBatch) {
    expect_matches_one_process(2);
}

TEST(LatheTrainDistributed, ThreeProcessesMatchOneWithThreeTimesTheBatch) {
    expect_matches_one_process(3);
}

// Gradients are averaged only at the end of each accumulation window.
TEST(LatheTrainDistributed, TwoProcessesWithAccumulationMatchOneProcess) {
    expect_matches_one_process(2, 3);
}

TEST(LatheTrainDistributed, ResumingATwoProcessRunContinuesExactly) {
    const auto dir = tests::temp_dir("dp-resume");
    const auto config = write_config(dir, "run", {});
    auto whole = run("--config " + config.string() + " --run-dir " + (dir / "whole").string() +
                     " --nproc-per-node 2");
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
    const auto half = dir / "whole" / "trainer_output" / "checkpoint-4";
    auto resumed = run("--config " + config.string() + " --run-dir " + (dir / "resumed").string() +
                       " --nproc-per-node 2 --resume_from_checkpoint " + half.string());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    auto after = [](const std::vector<json>& events) {
        std::vector<json> out;
        for (const auto& e : events)
            if ((e["type"] == "log" || e["type"] == "eval") && e["step"].get<int>() > 4)
                out.push_back(e);
        return out;
    };
    const auto a = after(events_of(dir / "whole"));
    const auto b = after(events_of(dir / "resumed"));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i]["step"], b[i]["step"]);
        EXPECT_EQ(a[i].value("loss", 0.0), b[i].value("loss", 0.0));
        EXPECT_EQ(a[i].value("grad_norm", 0.0), b[i].value("grad_norm", 0.0));
        EXPECT_EQ(a[i].value("eval_loss", 0.0), b[i].value("eval_loss", 0.0));
    }
    EXPECT_EQ(max_weight_difference(dir / "whole" / "trainer_output" / "checkpoint-8",
                                    dir / "resumed" / "trainer_output" / "checkpoint-8"),
              0.0);
}

TEST(LatheTrainDistributed, ResumingWithAnotherWorldSizeWarnsWhatIsNotExact) {
    const auto dir = tests::temp_dir("dp-reshape");
    const auto config = write_config(dir, "run", {{"save_steps", 3}, {"eval_strategy", "no"}});
    auto two = run("--config " + config.string() + " --run-dir " + (dir / "two").string() +
                   " --nproc-per-node 2");
    ASSERT_EQ(two.exit_code, 0) << two.output;
    auto one = run("--config " + config.string() + " --run-dir " + (dir / "one").string() +
                   " --resume_from_checkpoint " +
                   (dir / "two" / "trainer_output" / "checkpoint-3").string());
    ASSERT_EQ(one.exit_code, 0) << one.output;
    bool warned = false;
    for (const auto& e : of_type(events_of(dir / "one"), "warning")) {
        const auto message = e["message"].get<std::string>();
        warned = warned || (message.find("saved by 2 process(es) with 1") != std::string::npos &&
                            message.find("will not continue exactly") != std::string::npos);
    }
    EXPECT_TRUE(warned);
    EXPECT_EQ(of_type(events_of(dir / "one"), "run_finished").size(), 1u);
}

// `lathe-train --nproc-per-node 2` in the background, its output discarded; returns its pid.
pid_t start_two_ranks(const fs::path& config, const fs::path& run_dir) {
    const std::string binary = LATHE_TRAIN_BINARY;
    const pid_t agent = ::fork();
    if (agent == 0) {
        const int null_fd = ::open("/dev/null", O_WRONLY);
        ::dup2(null_fd, STDOUT_FILENO);
        ::dup2(null_fd, STDERR_FILENO);
        ::execl(binary.c_str(), binary.c_str(), "--no-progress", "--config", config.c_str(),
                "--run-dir", run_dir.c_str(), "--nproc-per-node", "2", nullptr);
        ::_exit(127);
    }
    return agent;
}

// Waits (up to 2 minutes) until the run has logged `n` steps.
// Two ranks that train until a signal stops them (no evaluation, no checkpoints), in dir/run.
pid_t start_endless_two_ranks(const fs::path& dir) {
    const auto config = write_config(
        dir, "run", {{"max_steps", 100000}, {"eval_strategy", "no"}, {"save_strategy", "no"}});
    return start_two_ranks(config, dir / "run");
}

bool wait_for_logs(const fs::path& run_dir, std::size_t n) {
    const auto give_up = Clock::now() + std::chrono::seconds(120);
    auto logged = [&] {
        return fs::exists(run_dir / "events.jsonl") &&
               of_type(events_of(run_dir), "log").size() >= n;
    };
    while (!logged() && Clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return logged();
}

// What the rank agent started (ranks/node-0.json).
json ranks_of(const fs::path& run_dir) {
    return json::parse(core::util::read_file((run_dir / "ranks" / "node-0.json").string()));
}

bool process_exists(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(LatheTrainDistributed, AKilledRankTakesTheJobDownAndIsNamed) {
    const auto dir = tests::temp_dir("dp-kill");
    const auto run_dir = dir / "run";
    const pid_t agent = start_endless_two_ranks(dir);
    ASSERT_GT(agent, 0);
    // Wait for training to be under way on both ranks.
    ASSERT_TRUE(wait_for_logs(run_dir, 3));
    const json node = ranks_of(run_dir);
    ASSERT_EQ(node["ranks"].size(), 2u);
    const auto rank0 = static_cast<pid_t>(node["ranks"][0]["pid"].get<std::int64_t>());
    const auto rank1 = static_cast<pid_t>(node["ranks"][1]["pid"].get<std::int64_t>());

    const auto killed_at = Clock::now();
    ASSERT_EQ(::kill(rank1, SIGKILL), 0);
    int status = 0;
    while (::waitpid(agent, &status, WNOHANG) == 0 &&
           Clock::now() - killed_at < std::chrono::seconds(30))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double seconds = std::chrono::duration<double>(Clock::now() - killed_at).count();
    EXPECT_LT(seconds, 10.0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGKILL);
    EXPECT_FALSE(process_exists(rank0));
    EXPECT_FALSE(process_exists(rank1));

    const auto failed = of_type(events_of(run_dir), "run_failed");
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0]["rank"], 1);
    EXPECT_EQ(failed[0]["signal"], "SIGKILL");
    EXPECT_EQ(failed[0]["reason"], "rank_failed");
    EXPECT_FALSE(failed[0]["host"].get<std::string>().empty());
    EXPECT_NE(failed[0]["message"].get<std::string>().find("rank 1"), std::string::npos);
}

// `to_agent`: SIGTERM to the agent, as the supervisor forwards a stop; else to rank 1 only, as a
// signal that reaches the ranks at different moments.
void expect_stop_saves_on_every_rank(bool to_agent) {
    const auto dir = tests::temp_dir(to_agent ? "dp-stop-agent" : "dp-stop-rank");
    const auto run_dir = dir / "run";
    const pid_t agent = start_endless_two_ranks(dir);
    ASSERT_GT(agent, 0);
    ASSERT_TRUE(wait_for_logs(run_dir, 2));
    // Sent to rank 1 alone, the ranks must still agree to stop at the same step.
    const json node = ranks_of(run_dir);
    const auto target =
        to_agent ? agent : static_cast<pid_t>(node["ranks"][1]["pid"].get<std::int64_t>());
    ASSERT_EQ(::kill(target, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(agent, &status, 0), agent);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);  // stopped
    const auto events = events_of(run_dir);
    const auto finished = of_type(events, "run_finished");
    ASSERT_EQ(finished.size(), 1u);
    EXPECT_EQ(finished[0]["reason"], "stopped");
    const auto saved = of_type(events, "checkpoint_saved");
    ASSERT_EQ(saved.size(), 1u);
    const fs::path checkpoint = saved[0]["path"].get<std::string>();
    EXPECT_TRUE(fs::exists(checkpoint / "lathe_rng_state_0.pt"));
    EXPECT_TRUE(fs::exists(checkpoint / "lathe_rng_state_1.pt"));
}

TEST(LatheTrainDistributed, AStopSignalToOneRankStopsEveryRankWithACheckpoint) {
    expect_stop_saves_on_every_rank(false);
}

TEST(LatheTrainDistributed, AStopSignalToTheAgentStopsEveryRankWithACheckpoint) {
    expect_stop_saves_on_every_rank(true);
}

TEST(LatheTrainDistributed, ADistributedEnvironmentWithoutRendezvousIsRefused) {
    const auto dir = tests::temp_dir("dp-env");
    const auto config = write_config(dir, "run", {});
    const auto r = tests::run_command("WORLD_SIZE=2 RANK=0 " + std::string(LATHE_TRAIN_BINARY) +
                                      " --no-progress --config " + config.string() + " --run-dir " +
                                      (dir / "env").string());
    EXPECT_NE(r.exit_code, 0);
    const std::string& output = r.output;
    EXPECT_NE(output.find("MASTER_ADDR and MASTER_PORT"), std::string::npos) << output;
}

}  // namespace
}  // namespace lathe::app
