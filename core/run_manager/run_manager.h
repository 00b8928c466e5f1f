#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/launch/probe.h"
#include "core/registry/registry.h"
#include "core/run_manager/lathe_paths.h"
#include "core/run_manager/run_preparation.h"

namespace lathe::core::run_manager {

struct SubmitOptions {
    std::string name;  // "" = run.json's name, else the config file's stem
    std::vector<std::string> tags;
    std::string notes;
    std::string target = "local";
    // Data-parallel processes (one per GPU, or CPU processes with Gloo); 0 means 1 for a new run
    // and the parent's for a resume, fork or continue.
    std::int64_t processes = 0;
    // Further SSH hosts for a multi-node run (target "ssh:HOST" is node 0). For a child, empty
    // with target "" means the parent's.
    std::vector<std::string> extra_hosts;
    // Automatic restarts after a failure (RunMetadata::max_failures); -1 means 0 for a new run
    // and the parent's for a child.
    std::int64_t max_failures = -1;
    std::int64_t attempt = 1;
    // For target "slurm:HOST": RunMetadata::slurm. Null for a child means the parent's.
    nlohmann::json slurm = nullptr;
    // "0,2,3": only these GPUs (CUDA_VISIBLE_DEVICES on every host), one rank each unless
    // `processes` says otherwise. "" = all; for a child, the parent's.
    std::string gpus;
};

// Which checkpoint of a run: a step, or the newest complete one.
struct CheckpointChoice {
    std::optional<std::int64_t> step;
};

struct ReconcileReport {
    bool ingested = false;  // false: another process holds the ingestion lock
    int lock_holder_pid = 0;
    std::vector<std::string> started;  // queued runs this pass started
    std::vector<std::string> notes;    // events lines skipped, runs marked lost, ...
};

struct RebuildReport {
    std::vector<std::string> runs;   // ids registered again or refreshed
    std::vector<std::string> notes;  // folders skipped and why
};

// Starts and signals runs on targets other than "local" ("ssh:HOST": remote/runs/ provides it;
// core cannot reach a network). The run directory of such a run is the local mirror that the
// launcher keeps up to date (events.jsonl, logs); its processes live on the node.
class TargetLauncher {
  public:
    virtual ~TargetLauncher() = default;
    struct Started {
        std::string host;  // where it runs, for the registry
        int pid = 0;       // the supervisor's pid there
    };
    // Starts a run registered as starting; throws Error naming the host on failure. `registry`
    // is the caller's (hosts added by hand are kept there).
    virtual Started start(const registry::Registry& registry, const registry::RunRecord& run) = 0;
    virtual void signal(const registry::Registry& registry, const registry::RunRecord& run,
                        int signal) = 0;
};

// Everything the CLI and the studio do to local runs. A run directory is the truth (run.json,
// lathe-run.json, events.jsonl, supervisor.json, lathe-train.exit.json); the registry indexes
// it. Every method that changes a run writes the directory first, then the registry, so that a
// crash in between is repaired by reconcile() or rebuild().
class RunManager {
  public:
    explicit RunManager(LathePaths paths);

    registry::Registry& registry() { return registry_; }
    const LathePaths& paths() const { return paths_; }

    // A run id, a unique prefix of one, or a unique run name. Error listing candidates otherwise.
    std::string resolve(const std::string& id_prefix_or_name);

    // Creates the run directory and registers the run as queued on its target; starts it at once
    // when the target is free. The PreparedRun was validated: nothing is created for a bad config.
    registry::RunRecord submit(const PreparedRun& prepared, const SubmitOptions& options,
                               const std::string& parent_run_id = "",
                               const std::string& parent_checkpoint = "",
                               const nlohmann::json& fork_diff = nullptr);

    // Ingests the events of live runs, records how ended runs ended (exit record, signal), marks
    // vanished ones lost, and starts queued runs whose target is free. Needs the ingestion lock;
    // when another process holds it, only reads (report.ingested = false). `wait_for_lock_ms`
    // > 0 waits that long for the lock.
    ReconcileReport reconcile(int wait_for_lock_ms = 0);

    // Who starts and signals runs whose target is not "local".
    void set_target_launcher(std::shared_ptr<TargetLauncher> launcher) {
        launcher_ = std::move(launcher);
    }

    // What reconcile() does for one live local run, with the process state given: for runs on
    // other machines, whose state is probed there. Ingests the run directory's events.jsonl
    // first. Needs the ingestion lock like reconcile().
    void apply_process_state(const std::string& id, const launch::ProcessState& state,
                             ReconcileReport* report);
    // Only the first half of that: brings the registry up to date with the run directory's
    // events.jsonl; unreadable lines become report notes.
    void ingest(const registry::RunRecord& run, ReconcileReport* report);
    // Whether reconcile() looks at a run: live, or ended within the hour with its exit record
    // not seen yet. The same rule for runs on other machines.
    static bool needs_settling(const registry::RunRecord& run);

    // Signals: stop = SIGTERM (checkpoint, then exit), save = SIGUSR1, kill = SIGKILL.
    // Stopping a queued run cancels it.
    void stop(const std::string& id);
    void save_now(const std::string& id);
    void kill(const std::string& id);

    // A new run that continues `parent` exactly from a checkpoint (resume), optionally with
    // changed TrainingArguments (fork: `overrides`, the diff recorded), or with `extra_steps`
    // more optimizer steps after the parent's planned end (continue). Imported runs have no
    // run.json: `config_path` gives the dataset and arguments, and the model starts from the
    // checkpoint's weights with a fresh optimizer (a warning says so).
    struct ChildOptions {
        CheckpointChoice checkpoint;
        std::vector<std::string> overrides;
        std::int64_t extra_steps = 0;
        std::string config_path;
        // target "" (the default here) = the parent's: a remote run's children run where
        // its checkpoints are.
        SubmitOptions submit{"", {}, "", "", 0, {}, -1, 1, nullptr, ""};
    };
    registry::RunRecord resume(const std::string& parent_id, const ChildOptions& options,
                               std::vector<std::string>* warnings);

    // Registers a Hugging Face Trainer output folder as a finished run (log_history as metrics,
    // its checkpoints). Error when the folder holds no trainer_state.json or was imported before.
    registry::RunRecord import_hf_folder(const std::string& folder, const std::string& name);

    // Queue controls (queued runs only).
    void move_in_queue(const std::string& id, std::int64_t position);

    // Removes a run that is not live: its registry rows and its run directory (never an imported
    // source folder).
    void remove(const std::string& id);

    // Registers every run directory under runs_root the registry lacks and re-ingests all of
    // them (idempotent), then reconciles.
    RebuildReport rebuild();

    // The checkpoint folder `choice` names for a run (on disk, complete ones only).
    std::string checkpoint_path(const registry::RunRecord& run, const CheckpointChoice& choice);
    // Where a run's checkpoints are: output_dir of its run.json, or the imported folder.
    std::string output_dir(const registry::RunRecord& run) const;

  private:
    void start(const std::string& id);
    int start_local(const registry::RunRecord& run);  // the supervisor's pid
    void kick_queue(const std::string& target, ReconcileReport* report);
    // Starts the next attempt of a failed or lost run that has restarts left (once, whichever
    // process gets there first).
    void restart_if_allowed(const registry::RunRecord& run, ReconcileReport* report);
    void settle(const registry::RunRecord& run, const launch::ProcessState& state,
                ReconcileReport* report);
    void send_signal(const registry::RunRecord& run, int signal);
    void reconcile_locked(ReconcileReport* report);
    void register_from_directory(const std::string& run_dir, RebuildReport* report);

    LathePaths paths_;
    registry::Registry registry_;
    std::shared_ptr<TargetLauncher> launcher_;
};

}  // namespace lathe::core::run_manager
