// RunManager's bookkeeping of run directories: import, removal, rebuild.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "core/launch/records.h"
#include "core/registry/ingest.h"
#include "core/registry/ingest_lock.h"
#include "core/run_manager/hf_output_folder.h"
#include "core/run_manager/run_ids.h"
#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::core::run_manager {

using registry::RunRecord;
using registry::RunStatus;

namespace {

// The registry rows an imported folder gives, on top of `record` (identity already set).
void register_import(registry::Registry& reg, RunRecord record, const HfOutputFolder& hf) {
    record.kind = "imported";
    record.status = RunStatus::finished;
    record.started_at = hf.started_at;
    record.ended_at = hf.ended_at;
    record.config = {{"import_source", hf.folder}, {"model_config", hf.model_config}};
    record.global_step = hf.global_step;
    record.max_steps = hf.max_steps;
    // What the runs list shows for a finished run: its last logged losses (points are in
    // log_history order).
    for (const auto& p : hf.points) {
        if (p.key == "loss")
            record.last_loss = p.value;
        else if (p.key == "eval_loss")
            record.last_eval_loss = p.value;
    }
    reg.insert_run(record);
    std::map<std::string, std::vector<registry::MetricPoint>> by_key;
    for (const auto& p : hf.points) {
        registry::MetricPoint point;
        point.seq = p.seq;
        point.step = p.step;
        point.epoch = p.epoch;
        point.time = 0.0;  // Transformers' log_history has no times
        point.value = p.value;
        by_key[p.key].push_back(point);
    }
    for (const auto& [key, points] : by_key)
        reg.add_metric_points(record.id, key, points);
    for (const auto& c : hf.checkpoints) {
        registry::CheckpointRecord cr;
        cr.step = c.step;
        cr.path = c.path;
        cr.bytes = static_cast<std::int64_t>(c.bytes);
        cr.metrics = c.metrics;
        cr.best = c.best;
        cr.present = true;
        cr.saved_at = c.modified_at;
        reg.upsert_checkpoint(record.id, cr);
    }
}

RunRecord record_from_metadata(const RunMetadata& meta, const std::string& run_dir) {
    RunRecord r;
    r.id = meta.id;
    r.name = meta.name;
    r.kind = meta.kind;
    r.target = meta.target;
    r.run_dir = run_dir;
    r.created_at = meta.created_at;
    r.parent_run_id = meta.parent_run_id;
    r.parent_checkpoint = meta.parent_checkpoint;
    r.fork_diff = meta.fork_diff;
    r.tags = meta.tags;
    r.notes = meta.notes;
    return r;
}

}  // namespace

RunRecord RunManager::import_hf_folder(const std::string& folder, const std::string& name) {
    const HfOutputFolder hf = read_hf_output_folder(folder);
    for (const auto& run : registry_.list_runs(registry::RunFilter{{}, {}, true})) {
        if (run.kind == "imported" && run.config.is_object() &&
            run.config.value("import_source", std::string()) == hf.folder) {
            throw Error(hf.folder + ": already imported as run " + run.id);
        }
    }
    RunMetadata meta;
    meta.kind = "imported";
    meta.created_at = now_seconds();
    meta.name = name.empty() ? fs::path(hf.folder).filename().string() : name;
    meta.import_source = hf.folder;
    fs::create_directories(paths_.runs_root);
    fs::path run_dir;
    for (int attempt = 0;; ++attempt) {
        meta.id = new_run_id(meta.name, meta.created_at);
        run_dir = fs::path(paths_.runs_root) / meta.id;
        if (fs::create_directory(run_dir))
            break;
        if (attempt > 20)
            throw Error(run_dir.string() + ": cannot create the run directory");
    }
    // The run directory of an import holds only lathe-run.json: the folder stays where it is.
    write_run_metadata(run_dir.string(), meta);
    register_import(registry_, record_from_metadata(meta, run_dir.string()), hf);
    return registry_.get_run(meta.id);
}

void RunManager::move_in_queue(const std::string& id, std::int64_t position) {
    const RunRecord run = registry_.get_run(id);
    if (run.status != RunStatus::queued)
        throw Error("run " + id + " is " + registry::to_string(run.status) + ", not queued");
    registry_.move_in_queue(id, position);
}

void RunManager::remove(const std::string& id) {
    const RunRecord run = registry_.get_run(id);
    if (run.status == RunStatus::starting || run.status == RunStatus::running)
        throw Error("run " + id + " is " + registry::to_string(run.status) +
                    "; stop or kill it before removing it");
    // Only folders Lathe created are deleted; an imported run's source is the user's.
    const fs::path dir = fs::path(run.run_dir).lexically_normal();
    const fs::path root = fs::path(paths_.runs_root).lexically_normal();
    const bool ours = dir.parent_path() == root && fs::exists(dir / kRunMetadataFile);
    registry_.remove_run(id);
    if (ours)
        fs::remove_all(dir);
}

void RunManager::register_from_directory(const std::string& run_dir, RebuildReport* report) {
    const RunMetadata meta = read_run_metadata(run_dir);
    RunRecord record = record_from_metadata(meta, run_dir);
    const bool known = registry_.find_run(meta.id).has_value();
    if (meta.kind == "imported") {
        if (known) {
            report->runs.push_back(meta.id);
            return;
        }
        if (!fs::exists(meta.import_source)) {
            report->notes.push_back(run_dir + ": imported from " + meta.import_source +
                                    ", which is gone; skipped");
            return;
        }
        register_import(registry_, record, read_hf_output_folder(meta.import_source));
        report->runs.push_back(meta.id);
        return;
    }
    if (!known) {
        const fs::path run_json = fs::path(run_dir) / "run.json";
        record.config =
            fs::exists(run_json) ? json::parse(util::read_file(run_json.string())) : json(nullptr);
        const bool launched = fs::exists(fs::path(run_dir) / launch::kSupervisorRecordFile) ||
                              fs::exists(fs::path(run_dir) / "events.jsonl");
        if (meta.cancelled) {
            record.status = RunStatus::stopped;
            record.failure_reason = "cancelled before it started";
        } else {
            // Launched runs are settled below from their events and exit record.
            record.status = launched ? RunStatus::running : RunStatus::queued;
        }
        registry_.insert_run(record);
    }
    const fs::path events = fs::path(run_dir) / "events.jsonl";
    if (fs::exists(events)) {
        const auto result = registry::ingest_events(registry_, meta.id, events.string());
        for (const auto& e : result.errors)
            report->notes.push_back(meta.id + ": " + e);
    }
    report->runs.push_back(meta.id);
}

RebuildReport RunManager::rebuild() {
    RebuildReport report;
    auto lock = registry::IngestLock::try_acquire(paths_.registry_path);
    for (int i = 0; !lock && i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        lock = registry::IngestLock::try_acquire(paths_.registry_path);
    }
    if (!lock) {
        const auto holder = registry::IngestLock::holder_pid(paths_.registry_path);
        throw Error(paths_.registry_path + ": ingestion runs in process " +
                    (holder ? std::to_string(*holder) : std::string("(unknown)")) +
                    "; close it (studio, lathe runs logs -f) before rebuilding");
    }
    if (!fs::is_directory(paths_.runs_root)) {
        report.notes.push_back(paths_.runs_root + ": no such folder; nothing to rebuild");
        return report;
    }
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(paths_.runs_root)) {
        if (entry.is_directory())
            dirs.push_back(entry.path());
    }
    // Oldest first: run ids start with their creation time, so queue order comes back too.
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
        if (!fs::exists(dir / kRunMetadataFile)) {
            report.notes.push_back(dir.string() + ": no " + kRunMetadataFile + "; skipped");
            continue;
        }
        try {
            register_from_directory(dir.string(), &report);
        } catch (const Error& e) {
            report.notes.push_back(dir.string() + ": " + e.what());
        } catch (const json::exception& e) {
            report.notes.push_back(dir.string() + ": " + e.what());
        }
    }
    ReconcileReport reconciled;
    reconcile_locked(&reconciled);
    for (const auto& note : reconciled.notes)
        report.notes.push_back(note);
    return report;
}

}  // namespace lathe::core::run_manager
