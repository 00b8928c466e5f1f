#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "remote/runs/session_pool.h"

namespace lathe::core::run_manager {
class RunManager;
}

namespace lathe::ui::runs {

// Keeps the window's remote runs (targets "ssh:HOST") current: each pass copies their new events
// and logs into the mirror and ingests them (remote/runs/remote_sync.h), probing the nodes every
// probe_interval. Lives in the registry watcher's thread, beside its RunManager, whose stop,
// kill and resume then reach the nodes through this pool. Questions while connecting (an
// unknown host key, a passphrase) go to `prompts`: the window's dialogs (ui/hosts/
// window_prompts.h); none answers "no".
class RemoteRunsSync {
  public:
    explicit RemoteRunsSync(remote::ssh::Prompts prompts = {}) : pool_(std::move(prompts)) {}
    remote::runs::SessionPool& pool() { return pool_; }
    // Lets `manager` start and signal remote runs.
    void attach(core::run_manager::RunManager& manager);
    // One pass when a live remote run exists and no failure asked to wait; returns what went
    // wrong (messages naming the host), for the caller to show.
    std::vector<std::string> pass(core::run_manager::RunManager& manager);

  private:
    using Clock = std::chrono::steady_clock;
    remote::runs::SessionPool pool_;
    Clock::time_point last_probe_{};
    Clock::time_point retry_at_{};
    std::chrono::milliseconds backoff_{2000};
    std::chrono::milliseconds probe_interval_{3000};
};

}  // namespace lathe::ui::runs
