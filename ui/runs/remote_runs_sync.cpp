#include "ui/runs/remote_runs_sync.h"

#include <memory>

#include "core/run_manager/run_manager.h"
#include "remote/runs/remote_host.h"
#include "remote/runs/remote_sync.h"
#include "remote/runs/ssh_launcher.h"

namespace lathe::ui::runs {

void RemoteRunsSync::attach(core::run_manager::RunManager& manager) {
    manager.set_target_launcher(std::make_shared<remote::runs::SshLauncher>(pool_));
}

std::vector<std::string> RemoteRunsSync::pass(core::run_manager::RunManager& manager) {
    const auto now = Clock::now();
    if (now < retry_at_) {
        return {};
    }
    bool any_live = false;
    for (const auto& run : manager.registry().list_runs()) {
        any_live = any_live || (!remote::runs::host_of_target(run.target).empty() &&
                                core::registry::is_live(run.status));
    }
    if (!any_live) {
        return {};
    }
    const bool probe = now - last_probe_ >= probe_interval_;
    const auto report =
        remote::runs::sync_remote_runs(manager, pool_, remote::runs::find_remote_host, "", probe);
    if (probe && report.ingested) {
        last_probe_ = now;
    }
    std::vector<std::string> problems;
    for (const auto& p : report.problems) {
        problems.push_back(p.message);
    }
    // A host that fails is tried again later, so that a dead one (each attempt waits for the
    // connect timeout) does not slow every pass of the watcher.
    if (!problems.empty() && report.bytes_fetched == 0) {
        retry_at_ = Clock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(60000));
    } else {
        backoff_ = std::chrono::milliseconds(2000);
    }
    return problems;
}

}  // namespace lathe::ui::runs
