#include "app/lathe/cli_context.h"

#include <iostream>

#include "app/lathe/cli_error.h"
#include "app/lathe/exit_codes.h"
#include "app/lathe/remote_access.h"
#include "core/util/error.h"

namespace lathe::app {

using core::registry::RunRecord;

core::run_manager::RunManager open_manager(const CliContext& ctx, bool reconcile) {
    core::run_manager::RunManager manager(ctx.paths);
    enable_remote_targets(manager);
    if (reconcile) {
        const auto report = manager.reconcile();
        if (!report.ingested) {
            std::cerr << "lathe: note: ingestion runs in process "
                      << (report.lock_holder_pid ? std::to_string(report.lock_holder_pid)
                                                 : std::string("(unknown)"))
                      << "; showing the registry as that process last wrote it\n";
        }
        for (const auto& id : report.started)
            std::cerr << "lathe: started queued run " << id << "\n";
        for (const auto& note : report.notes)
            std::cerr << "lathe: note: " << note << "\n";
    }
    return manager;
}

std::string resolve_or_throw(core::run_manager::RunManager& manager, const std::string& key) {
    try {
        return manager.resolve(key);
    } catch (const core::Error& e) {
        throw CliError(kCliNotFound, e.what());
    }
}

namespace {

template <typename T>
nlohmann::json opt(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json run_to_json(const RunRecord& run) {
    return {{"id", run.id},
            {"name", run.name},
            {"status", core::registry::to_string(run.status)},
            {"kind", run.kind},
            {"target", run.target},
            {"host", run.host},
            {"run_dir", run.run_dir},
            {"created_at", run.created_at},
            {"started_at", opt(run.started_at)},
            {"ended_at", opt(run.ended_at)},
            {"exit_code", opt(run.exit_code)},
            {"failure_reason", run.failure_reason},
            {"parent_run_id", run.parent_run_id},
            {"parent_checkpoint", run.parent_checkpoint},
            {"fork_diff", run.fork_diff},
            {"tags", run.tags},
            {"notes", run.notes},
            {"queue_position", opt(run.queue_position)},
            {"pid", opt(run.pid)},
            {"global_step", run.global_step},
            {"max_steps", run.max_steps},
            {"last_loss", opt(run.last_loss)},
            {"last_eval_loss", opt(run.last_eval_loss)},
            {"best_eval_loss", opt(run.best_eval_loss)}};
}

nlohmann::json checkpoint_to_json(const core::registry::CheckpointRecord& c) {
    return {{"step", c.step},       {"path", c.path},         {"host", c.host},
            {"bytes", c.bytes},     {"metrics", c.metrics},   {"best", c.best},
            {"present", c.present}, {"saved_at", c.saved_at}, {"deleted_at", opt(c.deleted_at)}};
}

std::string status_text(const RunRecord& run) {
    using core::registry::RunStatus;
    std::string s = core::registry::to_string(run.status);
    if (run.status == RunStatus::running && run.max_steps > 0)
        s += " " + std::to_string(run.global_step) + "/" + std::to_string(run.max_steps);
    if (run.status == RunStatus::queued && run.queue_position)
        s += " #" + std::to_string(*run.queue_position);
    return s;
}

void print_json(const nlohmann::json& j) {
    std::cout << j.dump(2) << "\n";
}

void print_warnings(const std::vector<std::string>& warnings) {
    for (const auto& w : warnings)
        std::cerr << "lathe: warning: " << w << "\n";
}

}  // namespace lathe::app
