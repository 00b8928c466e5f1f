// The window keeps remote runs current by itself: the registry watcher's pass syncs runs on SSH
// hosts (here a real sshd on 127.0.0.1) into the registry, with no `lathe` command running.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_preparation.h"
#include "remote/runs/remote_host.h"
#include "remote/runs/session_pool.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/shell_quote.h"
#include "tests/remote/support/sshd_server.h"
#include "tests/tiny_run_config.h"
#include "tests/ui/runs/runs_fixture.h"
#include "ui/runs/registry_watcher_thread.h"

namespace lathe::ui::runs {
namespace {

namespace fs = std::filesystem;
using core::registry::RunStatus;

// Stands in for lathe-train: 20 losses 20 ms apart, then run_finished.
constexpr const char* kFakeTrainer = R"sh(
if [ "$1" = --version ]; then echo "lathe-train 0.1.0 (test stand-in)"; exit 0; fi
dir=$4; id=$6
printf '{"seq":1,"time":1.0,"run_id":"%s","type":"run_started","max_steps":20}\n' "$id" >> "$dir/events.jsonl"
i=1
while [ $i -le 20 ]; do
  printf '{"seq":%d,"time":2.0,"run_id":"%s","type":"log","step":%d,"loss":%d.5}\n' $((i+1)) "$id" $i $i >> "$dir/events.jsonl"
  i=$((i+1))
  sleep 0.02
done
printf '{"seq":22,"time":3.0,"run_id":"%s","type":"run_finished","reason":"completed","metrics":{}}\n' "$id" >> "$dir/events.jsonl"
)sh";

TEST(RemoteRunsSync, TheWatcherBringsARemoteRunToItsEnd) {
    tests::SshdServer server("ui-remote");
    tests::RunsFixture fx("ui-remote-runs");
    const fs::path script = server.dir() / "fake-trainer.sh";
    std::ofstream(script) << kFakeTrainer;
    remote::runs::RemoteHost host;
    host.name = "node";
    host.ssh = server.target();
    host.worker_command = "/bin/sh " + remote::ssh::shell_quote(script.string());
    host.supervisor_command = remote::ssh::shell_quote(LATHE_SUPERVISOR_BINARY);
    host.runs_dir = (server.dir() / "node-runs").string();
    fx.registry->put_host("node", remote::runs::to_json(host));

    // Started as the CLI would; from here on only the window's watcher talks to the node.
    std::string id;
    {
        remote::runs::SessionPool pool;
        core::run_manager::RunManager manager(fx.paths);
        manager.set_target_launcher(std::make_shared<remote::runs::SshLauncher>(pool));
        core::run_manager::SubmitOptions options;
        options.target = "ssh:node";
        const auto config = tests::write_tiny_run_config(fx.dir / "config", "remote-ui");
        id = manager.submit(core::run_manager::prepare_run(config.string(), {}), options).id;
    }
    RegistryWatcherThread worker(fx.options(/*reconcile=*/true));
    worker.start();
    ASSERT_TRUE(tests::wait_until(
        [&] { return fx.registry->get_run(id).status == RunStatus::finished; }, 60000))
        << core::registry::to_string(fx.registry->get_run(id).status);
    EXPECT_EQ(fx.registry->metric_series(id, "loss").size(), 20u);
    EXPECT_EQ(fx.registry->get_run(id).host, "node");
}

}  // namespace
}  // namespace lathe::ui::runs
