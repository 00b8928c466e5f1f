#pragma once

#include <atomic>
#include <memory>

#include <QObject>
#include <QString>

#include "core/checkpoints/checkpoint_export.h"
#include "core/run_manager/lathe_paths.h"
#include "remote/ssh/ssh_target.h"

namespace lathe::ui::runs {

struct CheckpointExportRequest {
    QString run_id;
    QString checkpoint_path;  // as the registry lists it (on the node for a remote run)
    QString destination_parent;
    core::checkpoints::ExportContent content = core::checkpoints::ExportContent::model_only;
};

// Exports one checkpoint on its own thread (a multi-GB copy or download takes minutes): checks
// that the registry lists the folder for the run, then copies it (core::checkpoints) or, for a
// run on an SSH host, downloads it with verification (remote::runs::export_remote_checkpoint,
// which a second attempt continues). Setting the shared `cancelled` flag stops it from any thread.
class CheckpointExportJob : public QObject {
    Q_OBJECT

  public:
    // `cancelled` is shared with whoever may stop the job (the dialog), so that setting it never
    // touches the job object, which deletes itself on its thread when it ends.
    CheckpointExportJob(core::run_manager::LathePaths paths, CheckpointExportRequest request,
                        remote::ssh::Prompts prompts, std::shared_ptr<std::atomic<bool>> cancelled,
                        QObject* parent = nullptr);

  public slots:
    void run();

  signals:
    void progress(qint64 done_bytes, qint64 total_bytes);
    // ok: `message` is the exported folder; otherwise why it failed.
    void finished(bool ok, const QString& message);

  private:
    core::run_manager::LathePaths paths_;
    CheckpointExportRequest request_;
    remote::ssh::Prompts prompts_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace lathe::ui::runs
