// SLURM batch jobs: the sbatch script Lathe writes, SLURM's job states, and real lathe-train jobs
// on a one-node SLURM the test starts, submitted and cancelled through an SSH "login node".
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_preparation.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "remote/runs/remote_run_files.h"
#include "remote/runs/remote_sync.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/slurm/sbatch_script.h"
#include "remote/slurm/slurm_client.h"
#include "remote/ssh/shell_quote.h"
#include "tests/remote/support/slurm_cluster.h"
#include "tests/remote/support/sshd_server.h"
#include "tests/tiny_run_config.h"

namespace lathe::remote::slurm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

SbatchSpec spec_for(const std::string& run_dir) {
    SbatchSpec spec;
    spec.run_id = "r1";
    spec.run_dir = run_dir;
    return spec;
}

std::string error_of(const SbatchSpec& spec) {
    try {
        sbatch_script(spec);
    } catch (const core::Error& e) {
        return e.what();
    }
    return "";
}

TEST(SbatchScript, HoldsTheRequestedResourcesAndStartsEveryRankWithSrun) {
    SbatchSpec spec = spec_for("/shared/runs/r1");
    spec.nodes = 2;
    spec.tasks_per_node = 4;
    spec.gpus_per_node = 4;
    spec.cpus_per_task = 8;
    spec.time_limit = "1-12:00:00";
    spec.partition = "gpu";
    spec.account = "ml";
    spec.extra_sbatch_lines = {"#SBATCH --qos=high"};
    spec.worker_command = "apptainer exec --nv /shared/lathe.sif lathe-train";
    spec.master_port = 29611;
    const std::string s = sbatch_script(spec);
    for (const char* line :
         {"#!/bin/sh\n", "#SBATCH --job-name=lathe-r1\n", "#SBATCH --nodes=2\n",
          "#SBATCH --ntasks-per-node=4\n", "#SBATCH --gpus-per-node=4\n",
          "#SBATCH --cpus-per-task=8\n", "#SBATCH --time=1-12:00:00\n", "#SBATCH --partition=gpu\n",
          "#SBATCH --account=ml\n", "#SBATCH --output=/shared/runs/r1/slurm-%j.out\n",
          "#SBATCH --qos=high\n", "export MASTER_ADDR MASTER_PORT=29611\n",
          "exec srun '/bin/sh' '-c' 'exec apptainer exec --nv "
          "/shared/lathe.sif lathe-train \"$@\"' 'lathe-train' '--config' "
          "'/shared/runs/r1/run.json' '--run-dir' '/shared/runs/r1' '--run-id' 'r1' "
          "'--no-progress'\n"}) {
        EXPECT_NE(s.find(line), std::string::npos) << line << "\nin:\n" << s;
    }
    // Directives come before the first command, or sbatch ignores them.
    EXPECT_LT(s.rfind("#SBATCH"), s.find("\nset -e"));
}

TEST(SbatchScript, BadValuesAreRefusedNamingTheField) {
    auto spec = spec_for("runs/r1");
    EXPECT_NE(error_of(spec).find("slurm.run_dir"), std::string::npos);
    spec = spec_for("/r");
    spec.nodes = 0;
    EXPECT_NE(error_of(spec).find("slurm.nodes = 0"), std::string::npos);
    spec = spec_for("/r");
    spec.time_limit = "two hours";
    EXPECT_NE(error_of(spec).find("slurm.time_limit"), std::string::npos);
    spec = spec_for("/r");
    spec.partition = "gpu; rm -rf /";
    EXPECT_NE(error_of(spec).find("slurm.partition"), std::string::npos);
    spec = spec_for("/r");
    spec.extra_sbatch_lines = {"--mem=4G"};
    EXPECT_NE(error_of(spec).find("slurm.extra_sbatch_lines[0]"), std::string::npos);
    spec = spec_for("/r");
    spec.worker_command = "lathe-train\nrm -rf /";
    EXPECT_NE(error_of(spec).find("slurm.worker_command"), std::string::npos);
    for (const char* t : {"30", "10:00", "02:00:00", "3-00", "3-04:05:06"}) {
        spec = spec_for("/r");
        spec.time_limit = t;
        EXPECT_EQ(error_of(spec), "") << t;
    }
    // The run's options as lathe-run.json holds them: a wrong type names the key.
    try {
        validate_slurm_options({{"nodes", "2"}}, 1);
        FAIL() << "a string node count was accepted";
    } catch (const core::Error& e) {
        EXPECT_NE(std::string(e.what()).find("nodes must be an integer, got \"2\""),
                  std::string::npos)
            << e.what();
    }
    EXPECT_NO_THROW(validate_slurm_options({{"nodes", 2}, {"time_limit", "10:00"}}, 4));
    EXPECT_THROW(validate_slurm_options({{"time_limit", "soon"}}, 1), core::Error);
}

TEST(SlurmJobState, ReadsSacctAndScontrolOutput) {
    auto done = parse_sacct_line("COMPLETED|0:0");
    ASSERT_TRUE(done);
    EXPECT_EQ(done->state, "COMPLETED");
    EXPECT_EQ(done->exit_code, 0);
    EXPECT_TRUE(done->ended());
    auto cancelled = parse_sacct_line("CANCELLED by 0|0:15");
    ASSERT_TRUE(cancelled);
    EXPECT_EQ(cancelled->state, "CANCELLED");
    EXPECT_EQ(cancelled->signal, 15);
    auto failed = parse_scontrol_job(
        "JobId=7 JobName=x\n   JobState=FAILED Reason=NonZeroExitCode Dependency=(null)\n"
        "   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0\n   DerivedExitCode=0:0\n");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->state, "FAILED");
    EXPECT_EQ(failed->exit_code, 3);
    EXPECT_FALSE(parse_scontrol_job("slurm_load_jobs error: Invalid job id specified"));
    JobState running;
    running.state = "RUNNING";
    EXPECT_FALSE(running.ended());
}

// A login node (the test's sshd) in front of a one-node SLURM; the run folder is on this
// machine's disk, which the "compute node" shares by being the same machine.
class SlurmJobTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string why = lathe::tests::SlurmCluster::unavailable_reason();
        if (!why.empty())
            GTEST_SKIP() << why;
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        try {
            cluster_ = std::make_unique<lathe::tests::SlurmCluster>(name);
        } catch (const std::runtime_error& e) {
            // A machine where slurmd cannot run at all (no permission for its spool, a
            // container that forbids it) says so here, with the daemons' logs; on the reference
            // machine the cluster starts.
            GTEST_SKIP() << "no SLURM cluster could start here: " << e.what();
        }
        sshd_ = std::make_unique<lathe::tests::SshdServer>("slurm-" + name);
        session_ = ssh::Session::connect(sshd_->target());
        sftp_ = std::make_unique<ssh::SftpClient>(*session_);
        client_ = std::make_unique<SlurmClient>(*session_, *sftp_, cluster_->command_prefix());
    }

    // A tiny run's folder with run.json; returns the sbatch spec for `tasks` CPU ranks.
    SbatchSpec prepare(const std::string& run_id, const json& args) {
        const fs::path dir = sshd_->dir() / "shared" / run_id;
        const auto config = tests::write_tiny_run_config(dir, run_id, args);
        SbatchSpec spec;
        spec.run_id = run_id;
        spec.run_dir = dir.string();
        spec.tasks_per_node = 2;
        spec.worker_command = ssh::shell_quote(LATHE_TRAIN_BINARY);
        spec.master_addr = "127.0.0.1";
        spec.master_port = lathe::tests::free_tcp_port();
        spec.time_limit = "10:00";
        return spec;
    }

    JobState wait_until(const std::string& job, const std::function<bool(const JobState&)>& done,
                        int timeout_s = 180) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
        JobState last;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto state = client_->state(job)) {
                last = *state;
                if (done(last))
                    return last;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        ADD_FAILURE() << "job " << job << " stayed " << last.state << "\n" << cluster_->logs();
        return last;
    }

    std::vector<json> events(const SbatchSpec& spec) {
        const fs::path path = fs::path(spec.run_dir) / "events.jsonl";
        if (!fs::exists(path))
            return {};
        return core::events::read_events(path.string(), 0).events;
    }

    std::unique_ptr<lathe::tests::SlurmCluster> cluster_;
    std::unique_ptr<lathe::tests::SshdServer> sshd_;
    std::unique_ptr<ssh::Session> session_;
    std::unique_ptr<ssh::SftpClient> sftp_;
    std::unique_ptr<SlurmClient> client_;
};

TEST_F(SlurmJobTest, ATwoTaskJobTrainsOneDataParallelRun) {
    const auto spec = prepare("slurm-two", json::object());
    const std::string job =
        client_->submit(sbatch_script(spec), spec.run_dir + "/lathe-job.sbatch");
    const JobState end = wait_until(job, [](const JobState& s) { return s.ended(); });
    EXPECT_EQ(end.state, "COMPLETED")
        << core::util::read_file(spec.run_dir + "/slurm-" + job + ".out");
    EXPECT_EQ(end.exit_code, 0);
    const auto e = events(spec);
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e.front()["type"], "run_started");
    EXPECT_EQ(e.front()["world_size"], 2);
    EXPECT_EQ(e.back()["type"], "run_finished");
    EXPECT_TRUE(fs::exists(fs::path(spec.run_dir) / "trainer_output" / "checkpoint-8" /
                           "lathe_rng_state_1.pt"));
}

TEST_F(SlurmJobTest, ScancelStopsARunningJob) {
    const auto spec = prepare(
        "slurm-cancel", {{"max_steps", 100000}, {"save_strategy", "no"}, {"eval_strategy", "no"}});
    const std::string job =
        client_->submit(sbatch_script(spec), spec.run_dir + "/lathe-job.sbatch");
    wait_until(job, [](const JobState& s) { return s.state == "RUNNING"; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    auto logs = [&] {
        std::size_t n = 0;
        for (const auto& e : events(spec))
            n += e["type"] == "log";
        return n;
    };
    while (logs() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_GE(logs(), 2u) << core::util::read_file(spec.run_dir + "/slurm-" + job + ".out");
    client_->cancel(job);
    const JobState end = wait_until(
        job, [](const JobState& s) { return s.ended(); }, 60);
    EXPECT_EQ(end.state, "CANCELLED");
    // The ranks are gone: the events stop growing.
    const auto seen = events(spec).size();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_EQ(events(spec).size(), seen);
}

// The whole path a user takes: `lathe train --slurm login` submits through the launcher, the
// registry follows the job through the login node, and stop reaches the ranks.
TEST_F(SlurmJobTest, ARunOnASlurmTargetIsTrackedInTheRegistryAndStops) {
    const fs::path laptop = sshd_->dir() / "laptop";
    core::run_manager::LathePaths paths;
    paths.registry_path = (laptop / "registry.sqlite3").string();
    paths.runs_root = (laptop / "runs").string();
    paths.trainer_program = LATHE_TRAIN_BINARY;
    core::run_manager::RunManager manager(paths);
    runs::RemoteHost login;
    login.name = "login";
    login.ssh = sshd_->target();
    login.worker_command = ssh::shell_quote(LATHE_TRAIN_BINARY);
    login.runs_dir = (sshd_->dir() / "shared-runs").string();
    manager.registry().put_host("login", to_json(login));
    runs::SessionPool pool;
    manager.set_target_launcher(std::make_shared<runs::SshLauncher>(pool));
    core::run_manager::SubmitOptions options;
    options.target = "slurm:login";
    options.processes = 2;
    options.slurm = {{"command_prefix", cluster_->command_prefix()},
                     {"master_addr", "127.0.0.1"},
                     {"time_limit", "10:00"}};
    runs::FollowOptions follow;
    follow.poll_interval_ms = 100;
    follow.idle_probe_ms = 500;

    const auto config = tests::write_tiny_run_config(laptop / "config", "slurm-run");
    const auto run = manager.submit(core::run_manager::prepare_run(config.string(), {}), options);
    const auto location = runs::read_remote_location(run.run_dir);
    EXPECT_FALSE(location.slurm_job_id.empty());
    runs::follow_remote_run(manager, pool, runs::find_remote_host, run.id, follow);
    const auto done = manager.registry().get_run(run.id);
    EXPECT_EQ(done.status, core::registry::RunStatus::finished) << done.failure_reason;
    EXPECT_EQ(done.exit_code, 0);
    EXPECT_EQ(manager.registry().metric_series(run.id, "loss").size(), 8u);
    const auto events =
        core::events::read_events((fs::path(run.run_dir) / "events.jsonl").string(), 0).events;
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front()["world_size"], 2);
    // The job's output (slurm-<id>.out on the cluster) is the run's stdout here.
    const std::string out = core::util::read_file((fs::path(run.run_dir) / "stdout.log").string());
    EXPECT_NE(out.find("rank 0 of 2"), std::string::npos) << out;
    EXPECT_NE(out.find("rank 1 of 2"), std::string::npos) << out;

    const auto long_config = tests::write_tiny_run_config(
        laptop / "long", "slurm-long", {{"max_steps", 100000}, {"save_strategy", "no"}});
    const auto long_run =
        manager.submit(core::run_manager::prepare_run(long_config.string(), {}), options);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (manager.registry().metric_series(long_run.id, "loss").size() < 2 &&
           std::chrono::steady_clock::now() < deadline) {
        runs::sync_remote_runs(manager, pool, runs::find_remote_host, long_run.id);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_GE(manager.registry().metric_series(long_run.id, "loss").size(), 2u);
    manager.stop(long_run.id);
    runs::follow_remote_run(manager, pool, runs::find_remote_host, long_run.id, follow);
    const auto stopped = manager.registry().get_run(long_run.id);
    const auto long_location = runs::read_remote_location(long_run.run_dir);
    EXPECT_EQ(stopped.status, core::registry::RunStatus::stopped)
        << stopped.failure_reason << "\n"
        << core::util::read_file(long_location.remote_run_dir + "/slurm-" +
                                 long_location.slurm_job_id + ".out")
        << cluster_->logs();
    EXPECT_FALSE(manager.registry().checkpoints(long_run.id).empty());  // saved at the stop
}

}  // namespace
}  // namespace lathe::remote::slurm
