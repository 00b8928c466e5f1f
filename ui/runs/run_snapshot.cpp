#include "ui/runs/run_snapshot.h"

#include <tuple>

namespace lathe::ui::runs {

namespace {

std::optional<double> number_at(const nlohmann::json& metrics, const char* key) {
    if (metrics.is_object()) {
        const auto it = metrics.find(key);
        if (it != metrics.end() && it->is_number())
            return it->get<double>();
    }
    return std::nullopt;
}

}  // namespace

bool RunRow::operator==(const RunRow& o) const {
    return std::tie(id, name, status, live, target, kind, failure_reason, parent_run_id, tags,
                    global_step, max_steps, last_eval_loss, best_eval_loss, created_at, started_at,
                    ended_at) == std::tie(o.id, o.name, o.status, o.live, o.target, o.kind,
                                          o.failure_reason, o.parent_run_id, o.tags, o.global_step,
                                          o.max_steps, o.last_eval_loss, o.best_eval_loss,
                                          o.created_at, o.started_at, o.ended_at);
}

bool CheckpointRow::operator==(const CheckpointRow& o) const {
    return std::tie(step, epoch, eval_loss, bytes, best, present, path, saved_at) ==
           std::tie(o.step, o.epoch, o.eval_loss, o.bytes, o.best, o.present, o.path, o.saved_at);
}

RunRow to_run_row(const core::registry::RunRecord& run) {
    using core::registry::RunStatus;
    RunRow row;
    row.id = QString::fromStdString(run.id);
    row.name = QString::fromStdString(run.name);
    row.status = QString::fromStdString(core::registry::to_string(run.status));
    row.live = run.status == RunStatus::starting || run.status == RunStatus::running;
    row.target = QString::fromStdString(run.target);
    row.kind = QString::fromStdString(run.kind);
    row.failure_reason = QString::fromStdString(run.failure_reason);
    row.parent_run_id = QString::fromStdString(run.parent_run_id);
    for (const auto& tag : run.tags)
        row.tags << QString::fromStdString(tag);
    row.global_step = run.global_step;
    row.max_steps = run.max_steps;
    row.last_eval_loss = run.last_eval_loss;
    row.best_eval_loss = run.best_eval_loss;
    row.created_at = run.created_at;
    row.started_at = run.started_at;
    row.ended_at = run.ended_at;
    return row;
}

CheckpointRow to_checkpoint_row(const core::registry::CheckpointRecord& checkpoint) {
    CheckpointRow row;
    row.step = checkpoint.step;
    // Ingestion and the importer store the eval metrics logged at the checkpoint's step; the
    // epoch is there only when the trainer reported one.
    row.epoch = number_at(checkpoint.metrics, "epoch");
    row.eval_loss = number_at(checkpoint.metrics, "eval_loss");
    row.bytes = checkpoint.bytes;
    row.best = checkpoint.best;
    row.present = checkpoint.present;
    row.path = QString::fromStdString(checkpoint.path);
    row.saved_at = checkpoint.saved_at;
    return row;
}

void register_snapshot_types() {
    qRegisterMetaType<RunsSnapshot>("lathe::ui::runs::RunsSnapshot");
    qRegisterMetaType<CheckpointsSnapshot>("lathe::ui::runs::CheckpointsSnapshot");
    qRegisterMetaType<LogChunk>("lathe::ui::runs::LogChunk");
    qRegisterMetaType<ActionResult>("lathe::ui::runs::ActionResult");
}

}  // namespace lathe::ui::runs
