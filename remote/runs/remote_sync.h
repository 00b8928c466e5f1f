#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/launch/probe.h"
#include "core/run_manager/run_manager.h"
#include "remote/runs/session_pool.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::runs {

struct HostProblem {
    std::string host;
    std::string message;
    ssh::SshError::Kind kind = ssh::SshError::Kind::disconnected;
    bool transient() const { return ssh::SshError(kind, "").transient(); }
};

struct RemoteSyncReport {
    bool ingested = false;  // false: another process holds the registry's ingestion lock
    int runs_synced = 0;
    std::uint64_t bytes_fetched = 0;
    std::vector<HostProblem> problems;
    std::vector<std::string> notes;
    // What the probes of this pass saw, by run id (empty when the pass did not probe).
    std::map<std::string, core::launch::ProcessState> probed;
};

// One pass over the live runs on SSH targets (or only `only_run_id`; also runs that ended
// within the hour whose exit is not known yet): copies what each run's events.jsonl and logs
// gained into the local mirror (from the mirror's end: nothing is skipped or fetched twice) and
// ingests it. With `probe`, also asks the node about the run's processes
// (`lathe-supervisor --probe`, one command: costlier than the SFTP reads) and applies the answer
// as reconcile() does for local runs (exit records, stop/kill requests, lost runs); when the
// probe saw the trainer gone, the files are copied once more, so the copy holds every event it
// wrote. An unreachable host is reported and its runs are left as they were. Holds the
// registry's ingestion lock for the pass.
RemoteSyncReport sync_remote_runs(core::run_manager::RunManager& manager, SessionPool& pool,
                                  const HostResolver& resolve = find_remote_host,
                                  const std::string& only_run_id = "", bool probe = true);

struct FollowOptions {
    int poll_interval_ms = 200;  // SFTP reads of the growing files
    // Process probes on the node (one SSH command, much slower than a read): when the run's
    // files have not grown for idle_probe_ms (a trainer that writes is alive; one killed
    // silently stops writing), and at least every probe_interval_ms.
    int idle_probe_ms = 3000;
    int probe_interval_ms = 30000;
    int reconnect_initial_ms = 200;
    int reconnect_max_ms = 5000;
};

// Syncs one remote run until it has ended (or `stop` becomes true): polls every
// poll_interval_ms (each poll is a round trip, so a dead connection is noticed within one),
// probes as FollowOptions says and right after the events say the run ended, and
// after a dropped connection reconnects with exponential backoff and continues from the mirror's
// end. `on_pass` sees every pass (progress, problems). Throws SshError for what reconnecting cannot
// fix (host key changed, authentication refused).
void follow_remote_run(core::run_manager::RunManager& manager, SessionPool& pool,
                       const HostResolver& resolve, const std::string& run_id,
                       const FollowOptions& options, const std::atomic<bool>* stop = nullptr,
                       const std::function<void(const RemoteSyncReport&)>& on_pass = {});

}  // namespace lathe::remote::runs
