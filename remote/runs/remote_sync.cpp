#include "remote/runs/remote_sync.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string_view>
#include <thread>

#include "core/launch/probe.h"
#include "core/launch/signals.h"
#include "core/registry/ingest_lock.h"
#include "core/util/error.h"
#include "remote/runs/file_mirror.h"
#include "remote/runs/node_failure.h"
#include "remote/runs/remote_run_files.h"
#include "remote/slurm/slurm_client.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace fs = std::filesystem;

namespace lathe::remote::runs {

namespace {

using core::registry::RunRecord;
using core::registry::RunStatus;

core::launch::ProcessState probe_on_node(ssh::Session& session, const RemoteRunLocation& location) {
    const std::string out =
        session.run_checked(location.supervisor_command + " " +
                                ssh::shell_command({"--probe", location.remote_run_dir}),
                            "probe the run in " + location.remote_run_dir, 30000);
    try {
        return core::launch::process_state_from_json(nlohmann::json::parse(out),
                                                     session.label() + ": --probe");
    } catch (const nlohmann::json::exception& e) {
        throw core::Error("host " + session.label() + ": --probe printed no JSON: " + e.what());
    }
}

// A SLURM job's state as the process state RunManager settles runs with: queued or running is
// alive; an ended job is an exit record (SLURM's exit code or signal; a cancelled job without
// either counts as SIGKILL).
core::launch::ProcessState slurm_job_state(ssh::Session& session, ssh::SftpClient& sftp,
                                           const RemoteRunLocation& location) {
    slurm::SlurmClient client(session, sftp, location.slurm_command_prefix);
    core::launch::ProcessState state;
    const auto job = client.state(location.slurm_job_id);
    if (!job)
        return state;  // SLURM forgot it: lost, unless the events said how it ended
    if (!job->ended()) {
        state.supervisor_alive = state.trainer_alive = true;
        return state;
    }
    core::launch::ExitRecord exit;
    exit.ended_at_unix_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (job->signal || (!job->exit_code && job->state == "CANCELLED")) {
        exit.signal = job->signal.value_or(SIGKILL);
        exit.signal_name = core::launch::signal_name(*exit.signal);
    } else {
        exit.exit_code = job->exit_code.value_or(job->state == "COMPLETED" ? 0 : 1);
    }
    exit.description = "SLURM job " + location.slurm_job_id + " " + job->state +
                       (exit.exit_code ? " (exit code " + std::to_string(*exit.exit_code) + ")"
                                       : " (" + exit.signal_name.value_or("signal") + ")");
    state.exit = exit;
    return state;
}

void mirror_files(ssh::SftpClient& sftp, const RemoteRunLocation& location, const RunRecord& run,
                  RemoteSyncReport& report) {
    for (const char* name : kMirroredFiles) {
        std::string remote = location.remote_run_dir + "/" + name;
        // A SLURM job has no supervisor writing stdout.log: its ranks' output, stdout and stderr,
        // is SLURM's slurm-<job>.out in the run folder (sbatch --output), the run's stdout here.
        if (!location.slurm_job_id.empty() && std::string_view(name) == "stdout.log")
            remote = location.remote_run_dir + "/slurm-" + location.slurm_job_id + ".out";
        const auto result =
            mirror_append_only(sftp, remote, (fs::path(run.run_dir) / name).string());
        report.bytes_fetched += result.bytes_appended;
    }
}

// A multi-node run that failed: node 0's agent reports its own ranks, which often only lost the
// collective because a rank on another node died first. Each other node's agent wrote its own
// run_failed on that node; the earliest one, when it precedes node 0's, is the cause, and the
// run's reason says so. Tried on each pass until attributed (node n's event may land a moment
// after node 0's is seen); a node that cannot be read is left out.
void attribute_failure(core::run_manager::RunManager& manager, SessionPool& pool,
                       const HostResolver& resolve, const std::string& run_id,
                       const RemoteRunLocation& location, RemoteSyncReport& report) {
    if (location.other_nodes.empty())
        return;
    const RunRecord run = manager.registry().get_run(run_id);
    if (run.status != RunStatus::failed || is_attributed(run.failure_reason) || !run.ended_at)
        return;
    std::optional<NodeFailure> first;
    int first_node = 0;
    std::string first_host;
    for (std::size_t n = 0; n < location.other_nodes.size(); ++n) {
        const auto& node = location.other_nodes[n];
        try {
            const RemoteHost host = resolve(manager.registry(), node.host);
            auto& connection = pool.get(host);
            const auto failure = last_run_failed(
                connection.sftp->read_file(node.remote_run_dir + "/events.jsonl", 4u << 20));
            if (failure && failure->time < *run.ended_at &&
                (!first || failure->time < first->time)) {
                first = failure;
                first_node = static_cast<int>(n) + 1;
                first_host = node.host;
            }
        } catch (const ssh::SshError&) {
            pool.drop(node.host);  // reconnect next time
        } catch (const std::exception&) {
            continue;  // that node's file is not there (yet)
        }
    }
    if (!first)
        return;
    core::registry::RunUpdate update;
    update.failure_reason =
        first_failure_reason(first_node, first_host, *first, run.failure_reason);
    manager.registry().update_run(run_id, update);
    report.notes.push_back("run " + run_id + ": the failure began on node " +
                           std::to_string(first_node) + " (" + first_host + ")");
}

void sync_one(core::run_manager::RunManager& manager, SessionPool& pool,
              const HostResolver& resolve, const RunRecord& run, bool probe,
              RemoteSyncReport& report) {
    const RemoteRunLocation location = read_remote_location(run.run_dir);
    const RemoteHost host = resolve(manager.registry(), location.host);
    try {
        auto& connection = pool.get(host);
        mirror_files(*connection.sftp, location, run, report);
        core::run_manager::ReconcileReport applied;
        if (probe) {
            const core::launch::ProcessState state =
                location.slurm_job_id.empty()
                    ? probe_on_node(*connection.session, location)
                    : slurm_job_state(*connection.session, *connection.sftp, location);
            if (!state.trainer_alive) {
                mirror_files(*connection.sftp, location, run, report);
            }
            manager.apply_process_state(run.id, state, &applied);
            report.probed[run.id] = state;
        } else {
            manager.ingest(run, &applied);
        }
        for (const auto& note : applied.notes) {
            report.notes.push_back(note);
        }
        attribute_failure(manager, pool, resolve, run.id, location, report);
        ++report.runs_synced;
    } catch (const ssh::SshError& e) {
        pool.drop(host.name);
        report.problems.push_back({host.name, e.what(), e.kind()});
    }
}

bool wants_sync(const RunRecord& run) {
    return !host_of_target(run.target).empty() &&
           core::run_manager::RunManager::needs_settling(run) &&
           fs::exists(fs::path(run.run_dir) / kRemoteRunFile);
}

}  // namespace

RemoteSyncReport sync_remote_runs(core::run_manager::RunManager& manager, SessionPool& pool,
                                  const HostResolver& resolve, const std::string& only_run_id,
                                  bool probe) {
    RemoteSyncReport report;
    {
        auto lock = core::registry::IngestLock::try_acquire(manager.paths().registry_path);
        if (!lock) {
            return report;
        }
        report.ingested = true;
        std::vector<RunRecord> runs;
        if (!only_run_id.empty()) {
            runs.push_back(manager.registry().get_run(only_run_id));
        } else {
            runs = manager.registry().list_runs();
        }
        for (const auto& run : runs) {
            if (wants_sync(run)) {
                sync_one(manager, pool, resolve, run, probe, report);
            }
        }
    }
    // Outside the lock, which reconcile takes itself: an ended run frees its target's queue.
    manager.reconcile();
    return report;
}

void follow_remote_run(core::run_manager::RunManager& manager, SessionPool& pool,
                       const HostResolver& resolve, const std::string& run_id,
                       const FollowOptions& options, const std::atomic<bool>* stop,
                       const std::function<void(const RemoteSyncReport&)>& on_pass) {
    using Clock = std::chrono::steady_clock;
    int backoff_ms = options.reconnect_initial_ms;
    std::optional<Clock::time_point> last_probe;
    Clock::time_point last_growth = Clock::now();
    int probes_after_end = 0;
    while (stop == nullptr || !stop->load()) {
        const auto now = Clock::now();
        const auto idle = std::chrono::milliseconds(options.idle_probe_ms);
        const bool probe =
            !last_probe ||
            now - *last_probe >= std::chrono::milliseconds(options.probe_interval_ms) ||
            (now - last_growth >= idle && now - *last_probe >= idle);
        const RemoteSyncReport report = sync_remote_runs(manager, pool, resolve, run_id, probe);
        if (report.bytes_fetched > 0) {
            last_growth = Clock::now();
        }
        if (on_pass) {
            on_pass(report);
        }
        for (const auto& problem : report.problems) {
            if (!problem.transient()) {
                throw ssh::SshError(problem.kind, problem.message);
            }
        }
        // A probe that failed counts too: a flaky link must not turn every pass into a probe.
        if (probe) {
            last_probe = Clock::now();
        }
        const auto probed = report.probed.find(run_id);
        const RunRecord run = manager.registry().get_run(run_id);
        if (!core::registry::is_live(run.status) && run.status != RunStatus::queued) {
            // The events say it ended; the node's exit record says how (exit code, signal).
            // The supervisor writes it a moment after the trainer's last event.
            const bool settled = probed != report.probed.end() &&
                                 (probed->second.exit || !probed->second.supervisor_alive);
            if (settled || run.exit_code || !wants_sync(run) || probes_after_end >= 50) {
                return;
            }
            last_probe.reset();
            if (probed != report.probed.end()) {
                ++probes_after_end;
            }
        }
        int wait_ms = options.poll_interval_ms;
        // Backing off is for a host that does not answer; one that streamed bytes this pass is
        // answering, however often its connections drop.
        if (!report.problems.empty() && report.bytes_fetched == 0) {
            wait_ms = backoff_ms;
            backoff_ms = std::min(backoff_ms * 2, options.reconnect_max_ms);
        } else {
            backoff_ms = options.reconnect_initial_ms;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
}

}  // namespace lathe::remote::runs
