#pragma once

#include <optional>

#include <QList>
#include <QMetaType>
#include <QString>

namespace lathe::ui::studio {

// What the dashboard shows about the run it follows besides curves, copied out of the registry
// on the worker thread.
struct RunDetails {
    QString id;
    QString name;
    QString status;
    QString target;  // "local", "ssh:HOST", "slurm:HOST"
    bool live = false;
    QString failure_reason;
    std::optional<int> exit_code;
    qint64 global_step = 0;
    qint64 max_steps = 0;
    std::optional<double> epoch;  // of the newest logged point
    double started_at = 0;        // unix seconds; 0 when not started
    double ended_at = 0;          // 0 while running
    QString last_sample;          // the newest sample: its prompt and the continuation
    qint64 last_sample_step = 0;
    QString config_text;  // run.json, indented
    QString parent_diff;  // what a fork changed against its parent, or ""
    QString parent_run_id;
    // With several runs selected, the first one's details compare it with the second:
    // "training_args.learning_rate: 0.001 -> 0.0003" lines (core::run_manager::run_config_diff).
    QString compare_run_id;
    QString compare_diff;
    QList<qint64> checkpoint_steps;  // present checkpoints
};

void register_studio_types();

}  // namespace lathe::ui::studio

Q_DECLARE_METATYPE(lathe::ui::studio::RunDetails)
