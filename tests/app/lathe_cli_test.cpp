// The `lathe` command line with real processes: detached lathe-train runs under lathe-supervisor,
// a real SQLite registry, signals, the queue, resume/fork/continue, import, rebuild.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"
#include "tests/tiny_run_config.h"

namespace lathe::app {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Each test has its own registry and runs folder, given through the environment as a user would.
class LatheCli : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        home_ = tests::temp_dir(std::string("lathe-cli-") + info->name());
        registry_ = (home_ / "registry.sqlite3").string();
        ::setenv("LATHE_REGISTRY", registry_.c_str(), 1);
        ::unsetenv("LATHE_RUNS_DIR");
    }
    void TearDown() override {
        // Leave no trainer behind, whatever the test did.
        for (const auto& run : list()) {
            const std::string status = run["status"];
            if (status == "running" || status == "starting")
                lathe("runs kill " + run["id"].get<std::string>());
        }
    }

    Result lathe(const std::string& arguments) {
        const fs::path err_file = home_ / "stderr.txt";
        const std::string command =
            std::string(LATHE_BINARY) + " " + arguments + " 2>" + err_file.string();
        FILE* pipe = ::popen(command.c_str(), "r");
        Result r;
        char buffer[4096];
        while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr)
            r.out += buffer;
        const int status = ::pclose(pipe);
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.err = core::util::read_file(err_file.string());
        return r;
    }

    json list() {
        const auto r = lathe("--json runs list");
        return r.exit_code == 0 ? json::parse(r.out) : json::array();
    }

    json show(const std::string& id) {
        const auto r = lathe("--json runs show " + id);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }

    // Starts a run and returns its id (printed alone on stdout).
    std::string train(const fs::path& config, const std::string& extra = "") {
        const auto r = lathe("train " + config.string() + " " + extra);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::string id = r.out;
        while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
            id.pop_back();
        return id;
    }

    static bool wait_for(const std::function<bool()>& done, double timeout_s = 180) {
        const auto end =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
        while (std::chrono::steady_clock::now() < end) {
            if (done())
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return false;
    }

    json wait_status(const std::string& id, const std::vector<std::string>& statuses) {
        json run;
        const bool ok = wait_for([&] {
            run = show(id);
            for (const auto& s : statuses) {
                if (run["status"] == s)
                    return true;
            }
            return false;
        });
        EXPECT_TRUE(ok) << "run " << id << " stayed " << run["status"] << ": "
                        << run["failure_reason"];
        return run;
    }

    // A run the trainer ended: the final event is ingested first, the supervisor's exit record a
    // moment later, when the process has exited.
    json wait_finished(const std::string& id) {
        json run;
        const bool ok = wait_for([&] {
            run = show(id);
            return run["status"] == "finished" && !run["exit_code"].is_null();
        });
        EXPECT_TRUE(ok) << "run " << id << " is " << run["status"] << ", exit code "
                        << run["exit_code"] << ": " << run["failure_reason"];
        return run;
    }

    fs::path write_config(const std::string& name, json args_overrides = json::object()) {
        return tests::write_tiny_run_config(home_ / ("config-" + name), name, args_overrides);
    }

    std::vector<double> series(const std::string& id, const std::string& key) {
        const auto r = lathe("--json runs metrics " + id + " --key " + key);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<double> values;
        const json parsed = json::parse(r.out);
        for (const auto& p : parsed.at(key))
            values.push_back(p["value"].get<double>());
        return values;
    }

    static std::size_t logged_losses(const fs::path& run_dir) {
        std::size_t n = 0;
        for (const auto& e :
             core::events::read_events((run_dir / "events.jsonl").string(), 0).events)
            n += e["type"] == "log" && e.contains("loss");
        return n;
    }

    fs::path home_;
    std::string registry_;
};

TEST_F(LatheCli, BadConfigIsRefusedAndNothingIsRegisteredOrCreated) {
    const auto config = write_config("typo", {{"learnig_rate", 1e-3}});
    const auto r = lathe("train " + config.string());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("did you mean \"learning_rate\""), std::string::npos) << r.err;
    EXPECT_TRUE(list().empty());
    EXPECT_FALSE(fs::exists(home_ / "runs") && !fs::is_empty(home_ / "runs"));

    const auto missing =
        lathe("train " + write_config("valid").string() + " --max_steps 2 --nonsense 3");
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("--nonsense"), std::string::npos) << missing.err;
}

TEST_F(LatheCli, DetachedRunFinishesWithMetricsCheckpointsAndLogs) {
    const std::string id = train(write_config("ok"), "--tag smoke");
    ASSERT_FALSE(id.empty());
    const json run = wait_finished(id);
    EXPECT_EQ(run["exit_code"], 0);
    EXPECT_EQ(run["global_step"], 8);
    EXPECT_EQ(run["tags"], json::array({"smoke"}));
    const fs::path dir = run["run_dir"].get<std::string>();
    EXPECT_TRUE(fs::exists(dir / "stdout.log"));
    EXPECT_TRUE(fs::exists(dir / "stderr.log"));
    EXPECT_TRUE(fs::exists(dir / "checkpoint-8" / "trainer_state.json"));
    ASSERT_EQ(run["checkpoints"].size(), 2u);
    EXPECT_EQ(run["checkpoints"][0]["step"], 4);
    EXPECT_EQ(run["checkpoints"][1]["step"], 8);
    EXPECT_EQ(series(id, "loss").size(), logged_losses(dir));
    EXPECT_EQ(series(id, "eval_loss").size(), 2u);

    const auto table = lathe("runs metrics " + id.substr(0, id.size() - 2));  // a prefix works
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_EQ(table.out.rfind("STEP", 0), 0u) << table.out;
    const auto logs = lathe("runs logs " + id);
    EXPECT_NE(logs.out.find("run directory"), std::string::npos) << logs.out;
    EXPECT_EQ(lathe("runs stop " + id).exit_code, 4);  // nothing to stop
    EXPECT_EQ(lathe("runs show no-such-run").exit_code, 3);

    // Export of a local checkpoint: the folder copied whole, never over an existing one.
    const fs::path out = home_ / "exported";
    const auto exported =
        lathe("--json runs export " + id + " --checkpoint 4 --to " + out.string());
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(json::parse(exported.out)["path"], (out / "checkpoint-4").string());
    EXPECT_EQ(core::util::read_file((out / "checkpoint-4" / "trainer_state.json").string()),
              core::util::read_file((dir / "checkpoint-4" / "trainer_state.json").string()));
    EXPECT_EQ(lathe("runs export " + id + " --checkpoint 4 --to " + out.string()).exit_code, 4);
    EXPECT_EQ(lathe("runs export " + id + " --checkpoint 5 --to " + out.string()).exit_code, 3);

    // Model only: a Hugging Face model folder beside it, without the training state.
    const auto model =
        lathe("--json runs export " + id + " --checkpoint 4 --model-only --to " + out.string());
    ASSERT_EQ(model.exit_code, 0) << model.err;
    const fs::path model_dir = out / "checkpoint-4-model";
    EXPECT_EQ(json::parse(model.out)["path"], model_dir.string());
    for (const char* kept : {"config.json", "model.safetensors", "tokenizer.json"})
        EXPECT_TRUE(fs::exists(model_dir / kept)) << kept;
    for (const char* dropped :
         {"trainer_state.json", "optimizer.pt", "scheduler.pt", "lathe_loop_state.json"})
        EXPECT_FALSE(fs::exists(model_dir / dropped)) << dropped;
    EXPECT_EQ(core::util::read_file((model_dir / "model.safetensors").string()),
              core::util::read_file((dir / "checkpoint-4" / "model.safetensors").string()));
}

TEST_F(LatheCli, LogsFollowUntilTheEndAndRotationIsReflected) {
    const std::string id =
        train(write_config("rotated", {{"save_steps", 2}, {"save_total_limit", 1}}));
    const auto logs = lathe("runs logs -f " + id);  // returns once the run has ended
    EXPECT_EQ(logs.exit_code, 0) << logs.err;
    EXPECT_NE(logs.out.find("completed at step 8"), std::string::npos) << logs.out;
    EXPECT_NE(logs.err.find("finished"), std::string::npos) << logs.err;
    const json run = wait_finished(id);
    ASSERT_EQ(run["checkpoints"].size(), 4u);
    for (const auto& c : run["checkpoints"]) {
        const bool newest = c["step"] == 8;
        EXPECT_EQ(c["present"].get<bool>(), newest) << c;
        EXPECT_EQ(fs::exists(c["path"].get<std::string>()), newest) << c;
        EXPECT_EQ(c["deleted_at"].is_null(), newest) << c;
    }
}

TEST_F(LatheCli, KillMinus9OfTheTrainerIsAFailureWithTheSignal) {
    const std::string id =
        train(write_config("killed", {{"max_steps", 100000}, {"save_strategy", "no"}}));
    json run = wait_status(id, {"running"});
    const fs::path dir = run["run_dir"].get<std::string>();
    const json supervisor = json::parse(core::util::read_file((dir / "supervisor.json").string()));
    ASSERT_EQ(::kill(supervisor["trainer_pid"].get<int>(), SIGKILL), 0);
    run = wait_status(id, {"failed"});
    EXPECT_NE(run["failure_reason"].get<std::string>().find(
                  "killed by signal 9 (SIGKILL; the out-of-memory killer does this)"),
              std::string::npos)
        << run["failure_reason"];
}

TEST_F(LatheCli, VanishedProcessesWithoutARecordAreLostNeverRunningForever) {
    const std::string id =
        train(write_config("vanished", {{"max_steps", 100000}, {"save_strategy", "no"}}));
    const json run = wait_status(id, {"running"});
    const fs::path dir = run["run_dir"].get<std::string>();
    const json supervisor = json::parse(core::util::read_file((dir / "supervisor.json").string()));
    // The supervisor first (so nobody writes an exit record), then the trainer: what a reboot or
    // a kill of the whole process tree leaves.
    ASSERT_EQ(::kill(supervisor["supervisor_pid"].get<int>(), SIGKILL), 0);
    ASSERT_EQ(::kill(supervisor["trainer_pid"].get<int>(), SIGKILL), 0);
    const json lost = wait_status(id, {"lost"});
    EXPECT_NE(lost["failure_reason"].get<std::string>().find("without a final event"),
              std::string::npos)
        << lost["failure_reason"];
    EXPECT_FALSE(fs::exists(dir / "lathe-train.exit.json"));
}

TEST_F(LatheCli, SaveNowCheckpointsAndGoesOnRmRemovesOnlyEndedRuns) {
    const std::string id =
        train(write_config("saved", {{"max_steps", 100000}, {"save_strategy", "no"}}));
    wait_status(id, {"running"});
    ASSERT_EQ(lathe("runs save " + id).exit_code, 0);
    EXPECT_TRUE(wait_for([&] { return !show(id)["checkpoints"].empty(); }));
    EXPECT_EQ(show(id)["status"], "running");  // it went on
    const auto refused = lathe("runs rm " + id);
    EXPECT_EQ(refused.exit_code, 4) << refused.err;
    ASSERT_EQ(lathe("runs kill " + id).exit_code, 0);
    const json killed = wait_status(id, {"stopped"});
    EXPECT_NE(killed["failure_reason"].get<std::string>().find("lathe runs kill"),
              std::string::npos)
        << killed["failure_reason"];
    const fs::path dir = killed["run_dir"].get<std::string>();
    ASSERT_EQ(lathe("runs rm " + id).exit_code, 0);
    EXPECT_FALSE(fs::exists(dir));
    EXPECT_TRUE(list().empty());
    EXPECT_EQ(lathe("runs show " + id).exit_code, 3);
}

TEST_F(LatheCli, NprocRunsDataParallelAndItsChildrenInheritIt) {
    EXPECT_EQ(lathe("train " + write_config("bad-nproc").string() + " --nproc 0").exit_code, 2);
    const std::string id = train(write_config("dp"), "--nproc 2");
    const json run = wait_finished(id);
    EXPECT_EQ(run["exit_code"], 0);
    EXPECT_EQ(run["global_step"], 8);
    const fs::path dir = run["run_dir"].get<std::string>();
    const auto events = core::events::read_events((dir / "events.jsonl").string(), 0).events;
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front()["type"], "run_started");
    EXPECT_EQ(events.front()["world_size"], 2);
    EXPECT_TRUE(fs::exists(dir / "ranks" / "rank-1.stdout.log"));
    EXPECT_TRUE(fs::exists(dir / "checkpoint-8" / "lathe_rng_state_1.pt"));
    const auto rank1 = lathe("runs logs " + id + " --rank 1 --stream stdout");
    EXPECT_EQ(rank1.exit_code, 0) << rank1.err;
    EXPECT_NE(rank1.out.find("rank 1 of 2"), std::string::npos) << rank1.out;
    EXPECT_EQ(lathe("runs logs " + id + " --rank 0 --stream stdout").out.find("rank 1 of 2"),
              std::string::npos);
    EXPECT_EQ(lathe("runs logs " + id + " --rank 2").exit_code, 3);

    const auto r = lathe("runs resume " + id + " --checkpoint 4");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string child = r.out.substr(0, r.out.find('\n'));
    const json resumed = wait_finished(child);
    const json meta = json::parse(core::util::read_file(
        (fs::path(resumed["run_dir"].get<std::string>()) / "lathe-run.json").string()));
    EXPECT_EQ(meta["processes"], 2);
    const auto parent_loss = series(id, "loss");
    ASSERT_EQ(parent_loss.size(), 8u);
    EXPECT_EQ(series(child, "loss"),
              std::vector<double>(parent_loss.begin() + 4, parent_loss.end()));
}

// Runs whose parent is `id` (a restart is the failed run's child).
std::vector<json> children_of(const json& runs, const std::string& id) {
    std::vector<json> out;
    for (const auto& run : runs)
        if (run.value("parent_run_id", "") == id)
            out.push_back(run);
    return out;
}

// "This machine, GPUs 0 and 1": one rank per listed GPU, each seeing only those (on this CPU
// machine the ranks train on the CPU, but the restriction still reaches them).
TEST_F(LatheCli, GpusListsTheDevicesAndStartsARankForEach) {
    const auto bad = lathe("train " + write_config("bad-gpus").string() + " --gpus 0:1");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("gpus = \"0:1\""), std::string::npos) << bad.err;
    const std::string id = train(write_config("gpus"), "--gpus 0,1");
    const json run = wait_finished(id);
    EXPECT_EQ(run["exit_code"], 0);
    const fs::path dir = run["run_dir"].get<std::string>();
    const json meta = json::parse(core::util::read_file((dir / "lathe-run.json").string()));
    EXPECT_EQ(meta["processes"], 2);
    EXPECT_EQ(meta["gpus"], "0,1");
    const auto out = lathe("runs logs " + id + " --stream stdout");
    EXPECT_NE(out.out.find("rank 0 of 2 (gloo, cpu, CUDA_VISIBLE_DEVICES=0,1)"), std::string::npos)
        << out.out;
}

TEST_F(LatheCli, AKilledRunIsRestartedFromItsLatestCheckpointOnceWithMaxFailuresOne) {
    EXPECT_EQ(lathe("train " + write_config("bad-mf").string() + " --max-failures -1").exit_code,
              2);
    const std::string id =
        train(write_config("retried",
                           {{"max_steps", 100000}, {"save_steps", 4}, {"eval_strategy", "no"}}),
              "--max-failures 1");
    json run;
    ASSERT_TRUE(wait_for([&] {
        run = show(id);
        return !run["checkpoints"].empty();
    }));
    const fs::path dir = run["run_dir"].get<std::string>();
    auto kill_trainer = [](const fs::path& run_dir) {
        const json supervisor =
            json::parse(core::util::read_file((run_dir / "supervisor.json").string()));
        return ::kill(supervisor["trainer_pid"].get<int>(), SIGKILL);
    };
    ASSERT_EQ(kill_trainer(dir), 0);
    wait_status(id, {"failed"});

    // The restart is a new run in the registry: the failed run's child, from its checkpoint.
    std::vector<json> restarts;
    ASSERT_TRUE(wait_for([&] {
        restarts = children_of(json::parse(lathe("--json runs list").out), id);
        return !restarts.empty();
    }));
    ASSERT_EQ(restarts.size(), 1u);
    const std::string second = restarts[0]["id"];
    json restarted = wait_status(second, {"running"});
    EXPECT_NE(restarted["parent_checkpoint"].get<std::string>().find("checkpoint-"),
              std::string::npos);
    EXPECT_NE(restarted["notes"].get<std::string>().find("attempt 2 of 2"), std::string::npos)
        << restarted["notes"];
    const json claim = json::parse(core::util::read_file((dir / "lathe-restart.json").string()));
    EXPECT_EQ(claim["restarted_as"], second);
    const fs::path second_dir = restarted["run_dir"].get<std::string>();
    EXPECT_EQ(
        json::parse(core::util::read_file((second_dir / "lathe-run.json").string()))["attempt"], 2);
    // Its losses go on from the checkpoint's step.
    ASSERT_TRUE(wait_for([&] { return !series(second, "loss").empty(); }));

    // The second failure is the last one allowed: no third attempt.
    ASSERT_EQ(kill_trainer(second_dir), 0);
    wait_status(second, {"failed"});
    lathe("runs list");  // a reconcile pass
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_TRUE(children_of(json::parse(lathe("--json runs list").out), second).empty());
    EXPECT_FALSE(fs::exists(second_dir / "lathe-restart.json"));
}

TEST_F(LatheCli, ARunFailingBeforeAnyCheckpointIsRestartedFromScratchUntilMaxFailures) {
    // Fails at its first evaluation (step 2), before its first save (step 4).
    const std::string id =
        train(write_config("always-fails",
                           {{"eval_steps", 2}, {"metric_for_best_model", "no_such_metric"}}),
              "--max-failures 2");
    std::vector<std::string> chain{id};
    for (int attempt = 0; attempt < 3; ++attempt) {
        const json failed = wait_status(chain.back(), {"failed"});
        EXPECT_NE(failed["failure_reason"].get<std::string>().find("no_such_metric"),
                  std::string::npos)
            << failed["failure_reason"];
        if (attempt == 2)
            break;
        std::vector<json> next;
        ASSERT_TRUE(wait_for([&] {
            next = children_of(json::parse(lathe("--json runs list").out), chain.back());
            return !next.empty();
        }));
        EXPECT_EQ(next[0]["parent_checkpoint"], "");
        chain.push_back(next[0]["id"]);
    }
    ASSERT_EQ(chain.size(), 3u);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_TRUE(children_of(json::parse(lathe("--json runs list").out), chain.back()).empty());
}

TEST_F(LatheCli, ResumeContinuesExactlyForkRecordsTheDiffContinueAddsSteps) {
    const std::string parent = train(write_config("parent"));
    wait_finished(parent);
    const auto parent_loss = series(parent, "loss");
    ASSERT_EQ(parent_loss.size(), 8u);

    const auto r = lathe("runs resume " + parent + " --checkpoint 4");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string child = r.out.substr(0, r.out.find('\n'));
    const json resumed = wait_finished(child);
    EXPECT_EQ(resumed["parent_run_id"], parent);
    EXPECT_NE(resumed["parent_checkpoint"].get<std::string>().find("checkpoint-4"),
              std::string::npos);
    const auto child_loss = series(child, "loss");
    ASSERT_EQ(child_loss.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_EQ(child_loss[i], parent_loss[4 + i]) << "step " << 5 + i;

    const auto forked = lathe("runs fork " + parent + " --checkpoint 4 --learning_rate 5e-4");
    ASSERT_EQ(forked.exit_code, 0) << forked.err;
    const json fork = wait_status(forked.out.substr(0, forked.out.find('\n')), {"finished"});
    EXPECT_DOUBLE_EQ(fork["fork_diff"]["learning_rate"]["to"].get<double>(), 5e-4);
    EXPECT_DOUBLE_EQ(fork["fork_diff"]["learning_rate"]["from"].get<double>(), 1e-3);

    const auto more = lathe("runs continue " + parent + " --steps 4");
    ASSERT_EQ(more.exit_code, 0) << more.err;
    const json continued = wait_status(more.out.substr(0, more.out.find('\n')), {"finished"});
    EXPECT_EQ(continued["global_step"], 12);
    EXPECT_EQ(continued["max_steps"], 12);

    EXPECT_EQ(lathe("runs resume " + parent + " --checkpoint 5").exit_code, 3);
    EXPECT_EQ(lathe("runs resume " + parent + " --learning_rate 1").exit_code, 2);
}

TEST_F(LatheCli, QueueStartsTheNextRunWhenTheTargetFreesWithoutAnyCommand) {
    const std::string first =
        train(write_config("first", {{"max_steps", 100000}, {"save_strategy", "no"}}));
    const std::string second = train(write_config("second"));
    const std::string third = train(write_config("third"));
    EXPECT_EQ(show(second)["status"], "queued");
    EXPECT_EQ(show(third)["queue_position"], 2);
    ASSERT_EQ(lathe("queue move " + third + " 1").exit_code, 0);
    EXPECT_EQ(show(third)["queue_position"], 1);
    ASSERT_EQ(lathe("queue cancel " + second).exit_code, 0);
    EXPECT_EQ(show(second)["status"], "stopped");

    wait_status(first, {"running"});
    ASSERT_EQ(lathe("runs stop " + first).exit_code, 0);
    // From here no lathe command runs: the first run's supervisor records its end and starts
    // the queued run.
    const fs::path third_dir = show(third)["run_dir"].get<std::string>();
    EXPECT_TRUE(wait_for([&] { return fs::exists(third_dir / "lathe-train.exit.json"); }));
    const json stopped = show(first);
    EXPECT_EQ(stopped["status"], "stopped");
    EXPECT_EQ(stopped["exit_code"], 4);
    EXPECT_EQ(wait_finished(third)["exit_code"], 0);
    EXPECT_FALSE(
        fs::exists(fs::path(show(second)["run_dir"].get<std::string>()) / "supervisor.json"));
}

TEST_F(LatheCli, RebuildRestoresRunsMetricsAndCheckpointsAndReportsBadLines) {
    const std::string a = train(write_config("a"));
    wait_finished(a);
    const std::string b = train(write_config("b"), "--tag keep");
    wait_finished(b);
    ASSERT_EQ(lathe("runs note " + b + " 'best so far'").exit_code, 0);
    const json before_b = show(b);
    const auto loss_a = series(a, "loss");
    // A line that is not JSON, as a disk error might leave.
    {
        std::ofstream events(fs::path(show(a)["run_dir"].get<std::string>()) / "events.jsonl",
                             std::ios::app);
        events << "this is not json\n";
    }
    for (const auto* suffix : {"", "-wal", "-shm"})
        fs::remove(registry_ + suffix);
    EXPECT_TRUE(list().empty());
    const auto r = lathe("runs rebuild");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("not JSON"), std::string::npos) << r.err;
    EXPECT_EQ(list().size(), 2u);
    EXPECT_EQ(series(a, "loss"), loss_a);
    const json after_b = show(b);
    for (const auto* key : {"status", "global_step", "exit_code", "tags", "notes", "checkpoints",
                            "name", "created_at"})
        EXPECT_EQ(after_b[key], before_b[key]) << key;
}

TEST_F(LatheCli, ImportsAHuggingFaceOutputFolderAndFineTunesFromIt) {
    const std::string source = train(write_config("source"));
    wait_finished(source);
    // A Transformers-style output folder: model files from a real run, Transformers'
    // trainer_state.json, none of Lathe's own resume files.
    const fs::path hf = home_ / "hf-output";
    const json state =
        json::parse(core::util::read_file(tests::fixture("checkpoints/hf_trainer_state.json")));
    for (int step : {8, 12}) {
        const fs::path c = hf / ("checkpoint-" + std::to_string(step));
        fs::create_directories(c);
        for (const auto* f :
             {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
              "tokenizer_config.json", "special_tokens_map.json"}) {
            fs::copy_file(fs::path(show(source)["run_dir"].get<std::string>()) / "checkpoint-8" / f,
                          c / f);
        }
        json s = state;
        s["global_step"] = step;
        json history = json::array();
        for (const auto& entry : state["log_history"]) {
            if (entry.value("step", 0) <= step)
                history.push_back(entry);
        }
        s["log_history"] = history;
        core::util::write_file_atomic((c / "trainer_state.json").string(), s.dump(2));
    }
    const auto r = lathe("--json runs import " + hf.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string id = json::parse(r.out)["id"];
    const json run = show(id);
    EXPECT_EQ(run["status"], "finished");
    EXPECT_EQ(run["kind"], "imported");
    EXPECT_EQ(run["global_step"], 12);
    ASSERT_EQ(run["checkpoints"].size(), 2u);
    EXPECT_TRUE(run["checkpoints"][0]["best"]);  // best_model_checkpoint: .../checkpoint-8
    std::size_t losses = 0;
    json last_loss, last_eval_loss;
    for (const auto& entry : state["log_history"]) {
        losses += entry.contains("loss");
        if (entry.value("step", 0) > 12)
            continue;
        if (entry.contains("loss"))
            last_loss = entry["loss"];
        if (entry.contains("eval_loss"))
            last_eval_loss = entry["eval_loss"];
    }
    EXPECT_EQ(series(id, "loss").size(), losses);
    // The runs list shows the folder's last losses, as for a run Lathe trained.
    ASSERT_TRUE(last_loss.is_number());
    EXPECT_DOUBLE_EQ(run["last_loss"].get<double>(), last_loss.get<double>());
    EXPECT_DOUBLE_EQ(run["last_eval_loss"].get<double>(), last_eval_loss.get<double>());
    EXPECT_EQ(lathe("runs import " + hf.string()).exit_code, 2);  // already imported

    const auto no_config = lathe("runs fork " + id + " --checkpoint 12");
    EXPECT_EQ(no_config.exit_code, 2);
    EXPECT_NE(no_config.err.find("--config"), std::string::npos) << no_config.err;
    const auto forked = lathe("runs fork " + id + " --checkpoint 12 --config " +
                              write_config("finetune", {{"max_steps", 4}}).string());
    ASSERT_EQ(forked.exit_code, 0) << forked.err;
    EXPECT_NE(forked.err.find("optimizer"), std::string::npos) << forked.err;
    const json tuned = wait_status(forked.out.substr(0, forked.out.find('\n')), {"finished"});
    EXPECT_EQ(tuned["parent_run_id"], id);
    EXPECT_NE(tuned["config"]["model"]["path"].get<std::string>().find("checkpoint-12"),
              std::string::npos);
}

TEST_F(LatheCli, ConcurrentCommandsNeitherDuplicateNorDeadlock) {
    // Two submissions at once on a free target: one starts, the other queues.
    const auto config = write_config("race", {{"max_steps", 30}, {"logging_steps", 1}});
    std::vector<std::string> ids(2);
    {
        std::thread t1([&] { ids[0] = train(config); });
        std::thread t2([&] { ids[1] = train(config); });
        t1.join();
        t2.join();
    }
    const std::string s0 = show(ids[0])["status"], s1 = show(ids[1])["status"];
    EXPECT_TRUE((s0 == "queued") != (s1 == "queued")) << s0 << " " << s1;
    // Readers and reconcilers hammering the registry while both runs train and ingest.
    std::vector<int> codes;
    std::mutex m;
    auto hammer = [&] {
        for (int i = 0; i < 12; ++i) {
            const int c1 = lathe("runs list").exit_code;
            const int c2 = lathe("--json runs metrics " + ids[i % 2]).exit_code;
            std::lock_guard<std::mutex> lock(m);
            codes.push_back(c1);
            codes.push_back(c2);
        }
    };
    std::thread h1(hammer), h2(hammer);
    h1.join();
    h2.join();
    for (int c : codes)
        EXPECT_EQ(c, 0);
    for (const auto& id : ids) {
        const json run = wait_finished(id);
        EXPECT_EQ(series(id, "loss").size(),
                  logged_losses(fs::path(run["run_dir"].get<std::string>())));
    }
}

TEST_F(LatheCli, ManyProcessesCreatingTheRegistryAtOnceAllSucceed) {
    for (int round = 0; round < 3; ++round) {
        for (const auto* suffix : {"", "-wal", "-shm"})
            fs::remove(registry_ + suffix);
        std::vector<std::thread> threads;
        std::vector<int> codes(6, -1);
        for (std::size_t i = 0; i < codes.size(); ++i)
            threads.emplace_back([&, i] { codes[i] = lathe("runs list").exit_code; });
        for (auto& t : threads)
            t.join();
        for (int c : codes)
            EXPECT_EQ(c, 0) << "round " << round;
    }
}

TEST_F(LatheCli, CorruptOrUnwritableRegistryIsAClearError) {
    core::util::write_file_atomic(registry_, std::string(4096, 'x'));
    auto r = lathe("runs list");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(registry_), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not a Lathe registry"), std::string::npos) << r.err;

    r = lathe("--registry /proc/lathe/registry.sqlite3 runs list");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("/proc/lathe"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lathe::app
