#pragma once

#include <QDialog>

#include <atomic>
#include <memory>

#include "ui/runs/checkpoint_export_job.h"

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;

namespace lathe::ui::runs {

// "Export…" from the checkpoint browser: model only (a Hugging Face model folder) or the full
// checkpoint, into a folder the user picks (remembered in QSettings). It shows the folder that
// will be created and refuses one that exists before anything is copied; the copy runs on the
// job's own thread with a progress bar, and closing the dialog cancels it without waiting.
class CheckpointExportDialog : public QDialog {
    Q_OBJECT

  public:
    CheckpointExportDialog(core::run_manager::LathePaths paths, remote::ssh::Prompts prompts,
                           QString run_id, QString checkpoint_path, QWidget* parent = nullptr);
    ~CheckpointExportDialog() override;

    void setDestinationParent(const QString& folder);
    void setModelOnly(bool model_only);
    // <destination>/<checkpoint-N or checkpoint-N-model>, or "" without a destination.
    QString targetPath() const;
    QPushButton* exportButton() const { return export_; }
    QProgressBar* progressBar() const { return progress_; }
    QString resultText() const;
    bool running() const { return running_; }
    bool succeeded() const { return succeeded_; }

  public slots:
    void startExport();

  signals:
    void exported(const QString& path);

  protected:
    void done(int result) override;

  private:
    void updateTarget();
    void on_progress(qint64 done_bytes, qint64 total_bytes);
    void on_finished(bool ok, const QString& message);

    core::run_manager::LathePaths paths_;
    remote::ssh::Prompts prompts_;
    QString run_id_;
    QString checkpoint_path_;
    QRadioButton* model_only_ = nullptr;
    QRadioButton* full_ = nullptr;
    QLineEdit* folder_ = nullptr;
    QLabel* target_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* result_ = nullptr;
    QPushButton* export_ = nullptr;
    QPushButton* close_ = nullptr;
    // The job runs on a thread of its own that outlives the dialog: closing the dialog only asks
    // the job to stop (it may be inside an SSH connect or a hash that checks at its end), and
    // never waits for it on the UI thread. Job and thread delete themselves when it ends.
    std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);
    bool running_ = false;
    bool succeeded_ = false;
};

}  // namespace lathe::ui::runs
