#include "core/run_manager/run_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/launch/probe.h"
#include "core/launch/records.h"
#include "core/launch/start_detached.h"
#include "core/registry/ingest.h"
#include "core/registry/ingest_lock.h"
#include "core/run_manager/config_diff.h"
#include "core/run_manager/gpu_lists.h"
#include "core/run_manager/hf_output_folder.h"
#include "core/run_manager/run_ids.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::core::run_manager {

using registry::RunRecord;
using registry::RunStatus;

namespace {

// Files the CLI leaves in a run directory to tell the supervisor's exit record why the trainer
// got a signal: a SIGTERM or SIGKILL the user asked for is a stop, not a failure.
constexpr const char* kStopRequestedFile = "lathe-stop-requested";
// In a failed run's directory once its next attempt was claimed: {"restarted_as": ID} or
// {"error": ...}.
constexpr const char* kRestartFile = "lathe-restart.json";
constexpr const char* kKillRequestedFile = "lathe-kill-requested";

// A run claimed by a process that is launching it right now has no supervisor.json for a moment.
constexpr double kStartingGraceSeconds = 30.0;

std::string events_path(const RunRecord& run) {
    return (fs::path(run.run_dir) / "events.jsonl").string();
}

// The last non-empty line of stderr.log: lathe-train prints its fatal error there.
std::string last_stderr_line(const std::string& run_dir) {
    std::ifstream in(fs::path(run_dir) / "stderr.log");
    std::string line, last;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") != std::string::npos)
            last = line;
    }
    if (last.size() > 500)
        last = last.substr(0, 500) + "...";
    return last;
}

// lathe-train's documented exit codes (docs/lathe-train.md), for the failure reason.
std::string exit_code_meaning(int code) {
    switch (code) {
        case 1:
            return " (training failed)";
        case 2:
            return " (invalid configuration)";
        case 3:
            return " (data error)";
        case 4:
            return " (stopped)";
        case 127:
            return " (could not be started)";
        default:
            return "";
    }
}

void touch(const fs::path& p) {
    util::write_file_atomic(p.string(), std::to_string(::getpid()));
}

}  // namespace

RunManager::RunManager(LathePaths paths)
    : paths_(resolve_paths(std::move(paths))),
      registry_(registry::Registry::open(registry::RegistryOptions{paths_.registry_path})) {}

std::string RunManager::resolve(const std::string& key) {
    if (registry_.find_run(key))
        return key;
    std::vector<std::string> matches;
    for (const auto& run : registry_.list_runs()) {
        if (run.id.rfind(key, 0) == 0 || run.name == key)
            matches.push_back(run.id);
    }
    if (matches.size() == 1)
        return matches.front();
    if (matches.empty())
        throw Error("no run '" + key + "' in " + paths_.registry_path);
    std::string list;
    for (std::size_t i = 0; i < matches.size() && i < 10; ++i)
        list += (i ? ", " : "") + matches[i];
    throw Error("'" + key + "' names " + std::to_string(matches.size()) + " runs (" + list +
                "); give more of the id");
}

RunRecord RunManager::submit(const PreparedRun& prepared, const SubmitOptions& options,
                             const std::string& parent_run_id, const std::string& parent_checkpoint,
                             const json& fork_diff) {
    RunMetadata meta;
    meta.created_at = now_seconds();
    meta.name = !options.name.empty()           ? options.name
                : !prepared.config.name.empty() ? prepared.config.name
                                                : "run";
    meta.target = options.target;
    meta.gpus = options.gpus;
    if (!meta.gpus.empty() && options.target.rfind("slurm:", 0) == 0)
        throw Error("gpus: SLURM allocates a job's GPUs; use --gpus-per-node instead");
    meta.processes = ranks_per_host(options.processes, meta.gpus,
                                    run_hosts(options.target, options.extra_hosts));
    if (meta.processes > 4096)
        throw Error("processes = " + std::to_string(meta.processes) +
                    " is more ranks than one target runs (at most 4096)");
    meta.extra_hosts = options.extra_hosts;
    meta.max_failures = std::max<std::int64_t>(options.max_failures, 0);
    meta.attempt = std::max<std::int64_t>(options.attempt, 1);
    meta.slurm = options.slurm;
    if (meta.target.rfind("slurm:", 0) == 0 && !meta.slurm.is_object())
        meta.slurm = json::object();
    if (!meta.extra_hosts.empty() && meta.target.rfind("ssh:", 0) != 0)
        throw Error("a run on several hosts needs SSH hosts only; target \"" + meta.target +
                    "\" is not one (lathe train --host A,B)");
    meta.tags = options.tags;
    meta.notes = options.notes;
    meta.parent_run_id = parent_run_id;
    meta.parent_checkpoint = parent_checkpoint;
    meta.fork_diff = fork_diff;

    fs::create_directories(paths_.runs_root);
    fs::path run_dir;
    for (int attempt = 0;; ++attempt) {
        meta.id = new_run_id(meta.name, meta.created_at);
        run_dir = fs::path(paths_.runs_root) / meta.id;
        std::error_code ec;
        if (fs::create_directory(run_dir, ec))
            break;
        if (ec || attempt > 20)
            throw Error(run_dir.string() + ": cannot create the run directory" +
                        (ec ? " (" + ec.message() + ")" : std::string()));
    }
    const json run_json = run_json_for_directory(prepared, run_dir.string());
    util::write_file_atomic((run_dir / "run.json").string(), run_json.dump(2) + "\n");
    write_run_metadata(run_dir.string(), meta);

    RunRecord record;
    record.id = meta.id;
    record.name = meta.name;
    record.status = RunStatus::queued;
    record.target = meta.target;
    record.run_dir = run_dir.string();
    record.config = run_json;
    record.created_at = meta.created_at;
    record.parent_run_id = parent_run_id;
    record.parent_checkpoint = parent_checkpoint;
    record.fork_diff = fork_diff;
    record.tags = meta.tags;
    record.notes = meta.notes;
    registry_.insert_run(record);
    kick_queue(record.target, nullptr);
    return registry_.get_run(record.id);
}

void RunManager::start(const std::string& id) {
    const RunRecord run = registry_.get_run(id);
    try {
        registry::RunUpdate update;
        if (run.target == "local") {
            update.pid = start_local(run);
        } else {
            if (!launcher_)
                throw Error("run " + id + " targets " + run.target +
                            ", and this program cannot reach other machines");
            const auto started = launcher_->start(registry_, run);
            update.host = started.host;
            update.pid = started.pid;
        }
        registry_.update_run(id, update);
    } catch (const Error& e) {
        // Nothing half-starts: the run is failed with the reason, never left "starting".
        registry::RunUpdate update;
        update.status = RunStatus::failed;
        update.failure_reason = std::string("could not start: ") + e.what();
        update.ended_at = now_seconds();
        registry_.update_run(id, update);
        throw;
    }
}

int RunManager::start_local(const RunRecord& run) {
    launch::LaunchSpec spec;
    spec.supervisor_program = paths_.supervisor_program;
    spec.run_dir = run.run_dir;
    spec.command = {paths_.trainer_program,
                    "--config",
                    (fs::path(run.run_dir) / "run.json").string(),
                    "--run-dir",
                    run.run_dir,
                    "--run-id",
                    run.id,
                    "--no-progress"};
    const auto meta = read_run_metadata_or_defaults(run.run_dir);
    if (meta.processes > 1) {
        spec.command.push_back("--nproc-per-node");
        spec.command.push_back(std::to_string(meta.processes));
    }
    if (!meta.gpus.empty())
        spec.extra_env.emplace_back("CUDA_VISIBLE_DEVICES", meta.gpus);
    if (!paths_.lathe_program.empty()) {
        spec.then_command = {paths_.lathe_program, "--registry", paths_.registry_path, "--runs-dir",
                             paths_.runs_root,     "runs",       "_after-exit",        run.id};
    }
    return static_cast<int>(launch::start_detached(spec).supervisor_pid);
}

void RunManager::kick_queue(const std::string& target, ReconcileReport* report) {
    // claim_next_queued is one IMMEDIATE transaction: two processes kicking at once never start
    // two runs on one target.
    while (auto claimed = registry_.claim_next_queued(target)) {
        try {
            start(*claimed);
            if (report != nullptr)
                report->started.push_back(*claimed);
            return;
        } catch (const Error& e) {
            if (report != nullptr)
                report->notes.push_back(*claimed + ": " + e.what());
            else
                throw;
            // That run is failed now; the target is free for the next one.
        }
    }
}

void RunManager::apply_process_state(const std::string& id, const launch::ProcessState& state,
                                     ReconcileReport* report) {
    settle(registry_.get_run(id), state, report);
}

void RunManager::ingest(const RunRecord& run, ReconcileReport* report) {
    if (!fs::exists(events_path(run)))
        return;
    const auto result = registry::ingest_events(registry_, run.id, events_path(run));
    for (const auto& e : result.errors)
        report->notes.push_back(run.id + ": " + e);
}

bool RunManager::needs_settling(const RunRecord& run) {
    // An ended run whose exit record was not seen yet (the final event comes first); after an
    // hour nobody waits for it any more.
    const bool exit_unknown = registry::is_terminal(run.status) && !run.exit_code && run.ended_at &&
                              *run.ended_at > now_seconds() - 3600.0;
    return run.kind == "lathe" && (registry::is_live(run.status) || exit_unknown);
}

void RunManager::settle(const RunRecord& before, const launch::ProcessState& state,
                        ReconcileReport* report) {
    ingest(before, report);
    const RunRecord run = registry_.get_run(before.id);
    const bool stop_requested = fs::exists(fs::path(run.run_dir) / kStopRequestedFile);
    const bool kill_requested = fs::exists(fs::path(run.run_dir) / kKillRequestedFile);

    if (state.exit) {
        const auto& exit = *state.exit;
        registry::RunUpdate update;
        update.exit_code = exit.exit_code;
        if (registry::is_live(run.status)) {
            // The trainer ended without run_finished/run_failed: the exit record is all there is.
            update.ended_at = exit.ended_at_unix_s;
            if (kill_requested || (stop_requested && exit.signal)) {
                update.status = RunStatus::stopped;
                update.failure_reason = exit.description + " (requested with lathe runs " +
                                        (kill_requested ? "kill" : "stop") + ")";
            } else {
                update.status = RunStatus::failed;
                std::string reason = exit.description;
                if (exit.exit_code)
                    reason += exit_code_meaning(*exit.exit_code);
                const std::string err = last_stderr_line(run.run_dir);
                if (exit.exit_code && !err.empty())
                    reason += ": " + err;
                update.failure_reason = reason;
            }
        }
        if (update.status || (exit.exit_code && run.exit_code != exit.exit_code))
            registry_.update_run(run.id, update);
        restart_if_allowed(registry_.get_run(run.id), report);
        return;
    }
    if (!registry::is_live(run.status))
        return;
    if (state.supervisor_alive || state.trainer_alive)
        return;
    const bool launching =
        !state.supervisor && run.status == RunStatus::starting &&
        now_seconds() - run.created_at < kStartingGraceSeconds &&
        (!run.started_at || now_seconds() - *run.started_at < kStartingGraceSeconds);
    if (launching)
        return;
    registry::RunUpdate update;
    update.status = RunStatus::lost;
    update.ended_at = now_seconds();
    update.failure_reason =
        "the trainer and its supervisor are gone without a final event or exit record "
        "(machine restarted, or both were killed); resume from its latest checkpoint";
    registry_.update_run(run.id, update);
    report->notes.push_back(run.id + ": lost");
    restart_if_allowed(registry_.get_run(run.id), report);
}

void RunManager::restart_if_allowed(const RunRecord& run, ReconcileReport* report) {
    if ((run.status != RunStatus::failed && run.status != RunStatus::lost) || run.kind != "lathe")
        return;
    const RunMetadata meta = read_run_metadata_or_defaults(run.run_dir);
    if (meta.max_failures <= 0 || meta.attempt > meta.max_failures)
        return;
    // The claim is the file's creation: a studio and a CLI settling the same run at once start
    // one restart between them.
    const std::string claim = (fs::path(run.run_dir) / kRestartFile).string();
    const int fd = ::open(claim.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ::close(fd);
    const std::string attempt_text = "attempt " + std::to_string(meta.attempt + 1) + " of " +
                                     std::to_string(meta.max_failures + 1);
    SubmitOptions options;
    options.name = run.name;
    options.tags = meta.tags;
    options.target = run.target;
    options.processes = meta.processes;
    options.extra_hosts = meta.extra_hosts;
    options.max_failures = meta.max_failures;
    options.attempt = meta.attempt + 1;
    options.slurm = meta.slurm;
    options.gpus = meta.gpus;
    options.notes = attempt_text + ", after " + run.id + " " + to_string(run.status) + ": " +
                    run.failure_reason;
    json outcome;
    try {
        RunRecord next;
        if (!registry_.checkpoints(run.id).empty()) {
            ChildOptions child;
            child.submit = options;
            next = resume(run.id, child, nullptr);
        } else {
            // No checkpoint yet: the same run.json again (a resumed run's own starting point).
            auto prepared = prepare_run_json(run.config, run.run_dir + "/run.json", {}, nullptr);
            next = submit(prepared, options, run.id, "", json(nullptr));
        }
        outcome = {{"restarted_as", next.id}, {"attempt", options.attempt}};
        if (report != nullptr)
            report->notes.push_back(run.id + ": restarted as " + next.id + " (" + attempt_text +
                                    ")");
    } catch (const Error& e) {
        outcome = {{"error", e.what()}, {"attempt", options.attempt}};
        if (report != nullptr)
            report->notes.push_back(run.id + ": could not restart: " + e.what());
    }
    util::write_file_atomic(claim, outcome.dump(2) + "\n");
}

ReconcileReport RunManager::reconcile(int wait_for_lock_ms) {
    ReconcileReport report;
    auto lock = registry::IngestLock::try_acquire(paths_.registry_path);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_for_lock_ms);
    while (!lock && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        lock = registry::IngestLock::try_acquire(paths_.registry_path);
    }
    if (!lock) {
        report.lock_holder_pid = registry::IngestLock::holder_pid(paths_.registry_path).value_or(0);
        return report;
    }
    report.ingested = true;
    reconcile_locked(&report);
    return report;
}

void RunManager::reconcile_locked(ReconcileReport* report) {
    std::set<std::string> targets;
    for (const auto& run : registry_.list_runs()) {
        if (run.status == RunStatus::queued)
            targets.insert(run.target);
        if (run.target == "local" && needs_settling(run))
            settle(run, launch::probe(run.run_dir), report);
    }
    for (const auto& target : targets)
        kick_queue(target, report);
}

void RunManager::stop(const std::string& id) {
    const RunRecord run = registry_.get_run(id);
    if (run.status == RunStatus::queued) {
        auto meta = read_run_metadata(run.run_dir);
        meta.cancelled = true;
        write_run_metadata(run.run_dir, meta);
        registry::RunUpdate update;
        update.status = RunStatus::stopped;
        update.failure_reason = "cancelled before it started";
        update.ended_at = now_seconds();
        registry_.update_run(id, update);
        return;
    }
    if (!registry::is_live(run.status))
        throw Error("run " + id + " is " + registry::to_string(run.status) + "; nothing to stop");
    touch(fs::path(run.run_dir) / kStopRequestedFile);
    send_signal(run, SIGTERM);
}

void RunManager::save_now(const std::string& id) {
    const RunRecord run = registry_.get_run(id);
    if (!registry::is_live(run.status))
        throw Error("run " + id + " is " + registry::to_string(run.status) + "; it cannot save");
    send_signal(run, SIGUSR1);
}

void RunManager::kill(const std::string& id) {
    const RunRecord run = registry_.get_run(id);
    if (!registry::is_live(run.status))
        throw Error("run " + id + " is " + registry::to_string(run.status) + "; nothing to kill");
    touch(fs::path(run.run_dir) / kKillRequestedFile);
    send_signal(run, SIGKILL);
}

void RunManager::send_signal(const RunRecord& run, int signal) {
    if (run.target == "local") {
        launch::send_to_trainer(run.run_dir, signal);
        return;
    }
    if (!launcher_)
        throw Error("run " + run.id + " runs on " + run.target +
                    ", and this program cannot reach other machines");
    launcher_->signal(registry_, run, signal);
}

std::string RunManager::output_dir(const RunRecord& run) const {
    if (run.kind == "imported") {
        return run.config.is_object() ? run.config.value("import_source", std::string())
                                      : std::string();
    }
    if (run.config.is_object() && run.config.contains("training_args")) {
        const auto& args = run.config.at("training_args");
        if (args.contains("output_dir") && args.at("output_dir").is_string()) {
            fs::path out = args.at("output_dir").get<std::string>();
            if (out.is_relative())
                out = fs::path(run.run_dir) / out;
            return out.lexically_normal().string();
        }
    }
    return run.run_dir;
}

std::string RunManager::checkpoint_path(const RunRecord& run, const CheckpointChoice& choice) {
    if (run.target != "local" && run.kind == "lathe") {
        // On the node: the registry knows its checkpoints from the run's events.
        std::string last, steps;
        for (const auto& c : registry_.checkpoints(run.id)) {
            if (!c.present)
                continue;
            steps += (steps.empty() ? "" : ", ") + std::to_string(c.step);
            if (choice.step && c.step == *choice.step)
                return c.path;
            last = c.path;
        }
        if (!choice.step && !last.empty())
            return last;
        throw Error("run " + run.id + " has no checkpoint" +
                    (choice.step ? " at step " + std::to_string(*choice.step) : std::string()) +
                    " on " + run.target + (steps.empty() ? "" : " (it has: " + steps + ")"));
    }
    const auto all = checkpoints::list_checkpoints(output_dir(run));
    if (all.empty())
        throw Error("run " + run.id + " has no complete checkpoint in " + output_dir(run));
    if (!choice.step)
        return all.back().path;
    for (const auto& c : all) {
        if (c.step == *choice.step)
            return c.path;
    }
    std::string steps;
    for (const auto& c : all)
        steps += (steps.empty() ? "" : ", ") + std::to_string(c.step);
    throw Error("run " + run.id + " has no checkpoint at step " + std::to_string(*choice.step) +
                " (it has: " + steps + ")");
}

RunRecord RunManager::resume(const std::string& parent_id, const ChildOptions& options,
                             std::vector<std::string>* warnings) {
    const RunRecord parent = registry_.get_run(parent_id);
    if (registry::is_live(parent.status) && options.extra_steps > 0)
        throw Error("run " + parent_id + " is still " + registry::to_string(parent.status) +
                    "; continue it once it has ended");
    const std::string checkpoint = checkpoint_path(parent, options.checkpoint);
    SubmitOptions submit_options = options.submit;
    if (submit_options.name.empty())
        submit_options.name = parent.name;
    const auto parent_meta = read_run_metadata_or_defaults(parent.run_dir);
    if (submit_options.target.empty()) {
        submit_options.target = parent.target;
        if (submit_options.extra_hosts.empty())
            submit_options.extra_hosts = parent_meta.extra_hosts;
        if (submit_options.slurm.is_null())
            submit_options.slurm = parent_meta.slurm;
        if (submit_options.gpus.empty())
            submit_options.gpus = parent_meta.gpus;
    }
    if (submit_options.processes == 0)
        submit_options.processes = parent_meta.processes;
    if (submit_options.max_failures < 0)
        submit_options.max_failures = parent_meta.max_failures;

    const bool on_node = parent.target != "local";
    if (parent.kind == "imported" ||
        (!on_node && !fs::exists(fs::path(checkpoint) / "lathe_loop_state.json"))) {
        // A Transformers checkpoint: its optimizer.pt and rng_state.pth are Python pickles Lathe
        // does not read, and its TrainingArguments are in training_args.bin (a pickle too).
        if (options.config_path.empty()) {
            throw Error(checkpoint +
                        " was written by Transformers, whose arguments Lathe cannot read "
                        "(training_args.bin is a Python pickle): pass --config run.json with the "
                        "dataset and arguments; the model starts from this checkpoint's weights");
        }
        // load_run_config makes the config's relative paths absolute against its folder.
        json run_json = run::to_json(run::load_run_config(options.config_path).config);
        // The weights come from the checkpoint; the tokenizer stays the config's choice (or the
        // checkpoint's tokenizer.json when the config names none).
        run_json["model"] = {{"path", checkpoint}};
        auto prepared = prepare_run_json(run_json, options.config_path, options.overrides);
        prepared.warnings.push_back(
            checkpoint +
            ": a Transformers checkpoint; the model starts from its weights, the optimizer, "
            "learning-rate schedule and data order start fresh (Lathe does not read Python's "
            "optimizer.pt/rng_state.pth pickles)");
        if (warnings != nullptr)
            *warnings = prepared.warnings;
        return submit(prepared, submit_options, parent.id, checkpoint, json(nullptr));
    }

    ResumeFrom from;
    from.checkpoint_path = checkpoint;
    from.on_node = on_node;
    if (options.extra_steps > 0) {
        const std::int64_t planned = parent.max_steps > 0 ? parent.max_steps : parent.global_step;
        from.max_steps = planned + options.extra_steps;
    }
    auto prepared =
        prepare_run_json(parent.config, parent.run_dir + "/run.json", options.overrides, &from);
    const json diff = training_args_diff(parent.config.value("training_args", json::object()),
                                         prepared.config.training_args);
    if (warnings != nullptr)
        *warnings = prepared.warnings;
    return submit(prepared, submit_options, parent.id, checkpoint,
                  diff.empty() ? json(nullptr) : diff);
}

}  // namespace lathe::core::run_manager
