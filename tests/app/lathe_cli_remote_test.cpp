// `lathe hosts` and `lathe train --host` against a real sshd on 127.0.0.1: the "node" is this
// machine, reached over SSH, running the real lathe-train under the real lathe-supervisor.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/util/file_io.h"
#include "tests/remote/support/sshd_server.h"
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

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

class LatheCliRemote : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        home_ = tests::temp_dir(std::string("lathe-cli-remote-") + info->name());
        ::setenv("LATHE_REGISTRY", (home_ / "registry.sqlite3").string().c_str(), 1);
        ::unsetenv("LATHE_RUNS_DIR");
        server_ = std::make_unique<tests::SshdServer>(std::string("cli-") + info->name());
    }

    Result lathe(const std::string& arguments) {
        const fs::path err_file = home_ / "stderr.txt";
        const std::string command = quoted(LATHE_BINARY) + " " + arguments + " 2>" +
                                    quoted(err_file.string()) + " </dev/null";
        FILE* pipe = ::popen(command.c_str(), "r");
        Result r;
        char buffer[4096];
        while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
            r.out += buffer;
        }
        const int status = ::pclose(pipe);
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.err = core::util::read_file(err_file.string());
        return r;
    }

    std::string add_host_arguments(const std::string& name, const std::string& key) {
        return "hosts add " + name + " --address 127.0.0.1 --port " +
               std::to_string(server_->port()) + " --user " + server_->user() + " --identity " +
               quoted(key) + " --ssh-config none --known-hosts " +
               quoted(server_->known_hosts().string()) + " --worker " +
               quoted(quoted(LATHE_TRAIN_BINARY)) + " --supervisor " +
               quoted(quoted(LATHE_SUPERVISOR_BINARY)) + " --runs-dir " +
               quoted((server_->dir() / "node-runs").string()) + " --connect-timeout-ms 5000";
    }

    fs::path write_config() {
        return tests::write_tiny_run_config(
            home_ / "config", "remote-cli",
            {{"max_steps", 6}, {"save_steps", 3}, {"eval_steps", 3}});
    }

    fs::path home_;
    std::unique_ptr<tests::SshdServer> server_;
};

TEST_F(LatheCliRemote, AddTestTrainFollowAndShowARunOnAHost) {
    ASSERT_EQ(lathe(add_host_arguments("node", server_->client_key().string())).exit_code, 0);
    const auto listed = json::parse(lathe("--json hosts list").out);
    ASSERT_FALSE(listed.empty());
    EXPECT_EQ(listed[0]["name"], "node");
    EXPECT_EQ(listed[0]["from"], "registry");

    const auto tested = lathe("--json hosts test node");
    ASSERT_EQ(tested.exit_code, 0) << tested.err;
    const json facts = json::parse(tested.out);
    EXPECT_GE(facts["cpu_count"].get<int>(), 1);
    EXPECT_GT(facts["memory_total_bytes"].get<std::int64_t>(), 0);
    EXPECT_EQ(facts["worker_version"].get<std::string>().rfind("lathe-train 0.1.0", 0), 0u)
        << facts.dump();

    const auto started = lathe("train " + quoted(write_config().string()) + " --host node");
    ASSERT_EQ(started.exit_code, 0) << started.err;
    std::string id = started.out;
    id.erase(id.find_last_not_of("\n ") + 1);

    const auto followed = lathe("runs logs -f " + id);
    EXPECT_EQ(followed.exit_code, 0) << followed.err;
    EXPECT_NE(followed.err.find("run " + id + " finished"), std::string::npos) << followed.err;

    const json run = json::parse(lathe("--json runs show " + id).out);
    EXPECT_EQ(run["status"], "finished") << run.dump();
    EXPECT_EQ(run["host"], "node");
    EXPECT_EQ(run["target"], "ssh:node");
    EXPECT_EQ(run["exit_code"], 0);
    const json metrics = json::parse(lathe("--json runs metrics " + id + " --key loss").out);
    EXPECT_EQ(metrics["loss"].size(), 6u);

    // The newest checkpoint, fetched from the node into a folder of the laptop.
    const auto exported =
        lathe("--json runs export " + id + " --to " + quoted((home_ / "out").string()));
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    const json result = json::parse(exported.out);
    EXPECT_EQ(result["step"], 6);
    EXPECT_TRUE(fs::exists(fs::path(result["path"].get<std::string>()) / "trainer_state.json"));
    EXPECT_EQ(
        lathe("runs export " + id + " --checkpoint 4 --to " + quoted((home_ / "out").string()))
            .exit_code,
        3);
    const auto model = lathe("--json runs export " + id + " --model-only --to " +
                             quoted((home_ / "out").string()));
    ASSERT_EQ(model.exit_code, 0) << model.err;
    const fs::path model_dir = json::parse(model.out)["path"].get<std::string>();
    EXPECT_EQ(model_dir.filename(), "checkpoint-6-model");
    EXPECT_TRUE(fs::exists(model_dir / "model.safetensors"));
    EXPECT_FALSE(fs::exists(model_dir / "optimizer.pt"));
    EXPECT_FALSE(fs::exists(model_dir / "trainer_state.json"));
}

// Without logs -f: `lathe runs sync` passes alone take a remote run to its end.
TEST_F(LatheCliRemote, SyncPassesBringARunToItsEndAndHostsCanBeRemoved) {
    ASSERT_EQ(lathe(add_host_arguments("node", server_->client_key().string())).exit_code, 0);
    const auto started = lathe("train " + quoted(write_config().string()) + " --host node");
    ASSERT_EQ(started.exit_code, 0) << started.err;
    std::string id = started.out;
    id.erase(id.find_last_not_of("\n ") + 1);
    json run = json::object();
    for (int pass = 0; pass < 600 && run.value("status", "") != "finished"; ++pass) {
        const auto synced = lathe("--json runs sync " + id);
        ASSERT_EQ(synced.exit_code, 0) << synced.err;
        run = json::parse(lathe("--json runs show " + id).out);
    }
    EXPECT_EQ(run["status"], "finished") << run.dump();
    EXPECT_EQ(json::parse(lathe("--json runs metrics " + id + " --key loss").out)["loss"].size(),
              6u);

    EXPECT_EQ(lathe("hosts rm node").exit_code, 0);
    for (const auto& host : json::parse(lathe("--json hosts list").out)) {
        EXPECT_NE(host["name"], "node");
    }
}

TEST_F(LatheCliRemote, AWrongKeyFailsWithAMessageNamingTheHost) {
    const auto other = server_->dir() / "wrong_key";
    tests::shell_output("ssh-keygen -q -t ed25519 -N '' -f " + quoted(other.string()));
    ASSERT_EQ(lathe(add_host_arguments("node", other.string())).exit_code, 0);
    const auto tested = lathe("hosts test node");
    EXPECT_EQ(tested.exit_code, 1);
    EXPECT_NE(tested.err.find("host node (" + server_->user() + "@127.0.0.1:"), std::string::npos)
        << tested.err;
    EXPECT_NE(tested.err.find("authentication refused"), std::string::npos) << tested.err;
    // A run aimed there fails to start, registered as failed with that reason.
    const auto started = lathe("train " + quoted(write_config().string()) + " --host node");
    EXPECT_NE(started.exit_code, 0);
    const json runs = json::parse(lathe("--json runs list").out);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0]["status"], "failed");
    EXPECT_NE(runs[0]["failure_reason"].get<std::string>().find("authentication refused"),
              std::string::npos);
}

TEST_F(LatheCliRemote, BadHostSettingsAreRefusedNamingTheField) {
    const auto r = lathe("hosts add node --port 70000");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("field 'port' is 70000"), std::string::npos) << r.err;
    EXPECT_EQ(lathe("hosts rm nobody").exit_code, 3);
    const auto spaced = lathe("hosts add 'gpu 1'");
    EXPECT_EQ(spaced.exit_code, 2);
    EXPECT_NE(spaced.err.find("host name 'gpu 1'"), std::string::npos) << spaced.err;
}

// The whole install is built for real by the studio's test (tests/ui/hosts); here the command's
// refusals, which cost no build.
TEST_F(LatheCliRemote, InstallRefusesAMissingSourceTreeAndOddTargetsNamingThem) {
    ASSERT_EQ(lathe(add_host_arguments("node", server_->client_key().string())).exit_code, 0);
    const auto missing = server_->dir() / "no-source";
    const auto r = lathe("hosts install node --source " + quoted(missing.string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("install on host node: no Lathe source tree at '" + missing.string()),
              std::string::npos)
        << r.err;
    const auto odd = lathe("hosts install node --targets 'lathe-train;reboot'");
    EXPECT_EQ(odd.exit_code, 1);
    EXPECT_NE(odd.err.find("targets 'lathe-train;reboot'"), std::string::npos) << odd.err;
}

}  // namespace
}  // namespace lathe::app
