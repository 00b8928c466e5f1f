#pragma once

#include <functional>

#include <QString>
#include <QWidget>

#include "ui/runs/run_snapshot.h"

class QAction;
class QLabel;
class QTableView;
class QToolButton;

namespace lathe::ui::runs {

class CheckpointsModel;
class RegistryWatcher;

// The checkpoints of one run (step, epoch, eval loss, size, best, present/deleted) with what can
// be done from one: resume from it (a new linked run, made by the watcher), fork with edits (the
// New Run dialog's job: forkRequested), export it (exportRequested: the window opens the export
// dialog), delete it (after confirmation), open its folder, copy
// its path. Actions on a deleted checkpoint are disabled except copying the path.
class CheckpointBrowser : public QWidget {
    Q_OBJECT

  public:
    explicit CheckpointBrowser(QWidget* parent = nullptr);

    void attach(RegistryWatcher* watcher);

    // Asked before a delete; the default shows a QMessageBox. Tests replace it.
    using ConfirmDelete = std::function<bool(const QString& path)>;
    void setConfirmDelete(ConfirmDelete confirm) { confirm_delete_ = std::move(confirm); }

    const QString& runId() const { return run_id_; }
    CheckpointsModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    QLabel* messageLabel() const { return message_; }
    QAction* resumeAction() const { return resume_; }
    QAction* forkAction() const { return fork_; }
    QAction* exportAction() const { return export_; }
    QAction* deleteAction() const { return delete_; }
    QAction* openFolderAction() const { return open_folder_; }
    QAction* copyPathAction() const { return copy_path_; }

    // The selected checkpoint's row in the model, -1 when none.
    int currentRow() const;
    void selectStep(qint64 step);

  public slots:
    // The run whose checkpoints to show ("" for none); the watcher is asked to follow it.
    void setRunId(const QString& run_id);
    // Convenience for RunsView::selectionChangedRuns: one selected run, else none.
    void setSelectedRuns(const QStringList& ids);
    void setSnapshot(const lathe::ui::runs::CheckpointsSnapshot& snapshot);
    void showActionResult(const lathe::ui::runs::ActionResult& result);

  signals:
    void runChanged(const QString& run_id);
    void resumeRequested(const QString& run_id, qint64 step);
    void forkRequested(const QString& run_id, qint64 step);
    void exportRequested(const QString& run_id, const QString& checkpoint_path);
    void deleteRequested(const QString& run_id, const QString& path);
    // A resume made a new run: the window may select it.
    void runCreated(const QString& new_run_id);

  private:
    void updateActions();
    void showContextMenu(const QPoint& pos);
    void deleteCurrent();

    QString run_id_;
    CheckpointsModel* model_;
    QTableView* table_;
    QLabel* message_;
    QAction* resume_;
    QAction* fork_;
    QAction* export_;
    QAction* delete_;
    QAction* open_folder_;
    QAction* copy_path_;
    ConfirmDelete confirm_delete_;
};

}  // namespace lathe::ui::runs
