#pragma once

#include <optional>
#include <vector>

#include <QMetaType>
#include <QString>
#include <QStringList>

#include "core/registry/records.h"

namespace lathe::ui::runs {

// What the UI thread knows about the registry: plain values copied out of records on the worker
// thread, so that no widget ever holds a registry connection or a reference into the worker.

struct RunRow {
    QString id;
    QString name;
    QString status;  // to_string(RunStatus)
    bool live = false;
    QString target;
    QString kind;
    QString failure_reason;
    QString parent_run_id;
    QStringList tags;
    qint64 global_step = 0;
    qint64 max_steps = 0;
    std::optional<double> last_eval_loss;
    std::optional<double> best_eval_loss;
    double created_at = 0;
    std::optional<double> started_at, ended_at;

    bool operator==(const RunRow& other) const;
    bool operator!=(const RunRow& other) const { return !(*this == other); }
};

struct RunsSnapshot {
    std::vector<RunRow> runs;  // newest first
    // false: another process held the ingestion lock, so this is what it last wrote.
    bool ingested = false;
    QString error;  // the registry could not be read; `runs` is then empty
};

struct CheckpointRow {
    qint64 step = 0;
    std::optional<double> epoch;
    std::optional<double> eval_loss;
    qint64 bytes = 0;
    bool best = false;
    bool present = true;
    QString path;
    double saved_at = 0;

    bool operator==(const CheckpointRow& other) const;
    bool operator!=(const CheckpointRow& other) const { return !(*this == other); }
};

struct CheckpointsSnapshot {
    QString run_id;
    std::vector<CheckpointRow> checkpoints;  // by step
    QString error;
};

// A piece of a run's stdout.log or stderr.log, in the order the worker read it.
struct LogChunk {
    QString run_id;
    QString stream;  // "stdout" or "stderr"
    QString text;
    bool reset = false;  // start over: a new run is followed, or the file was truncated
};

// The outcome of an action the UI asked the worker for.
struct ActionResult {
    QString action;  // "stop", "save", "kill", "resume", "delete_checkpoint", "remove", "import"
    QString run_id;
    bool ok = false;
    QString message;     // the Error text when !ok; warnings or a summary otherwise
    QString new_run_id;  // resume: the child run
};

RunRow to_run_row(const core::registry::RunRecord& run);
CheckpointRow to_checkpoint_row(const core::registry::CheckpointRecord& checkpoint);

// Queued signals copy their arguments through the meta-type system; call before connecting.
void register_snapshot_types();

}  // namespace lathe::ui::runs

Q_DECLARE_METATYPE(lathe::ui::runs::RunsSnapshot)
Q_DECLARE_METATYPE(lathe::ui::runs::CheckpointsSnapshot)
Q_DECLARE_METATYPE(lathe::ui::runs::LogChunk)
Q_DECLARE_METATYPE(lathe::ui::runs::ActionResult)
