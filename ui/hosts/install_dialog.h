#pragma once

#include <QDialog>
#include <QThread>

#include "ui/hosts/install_job.h"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace lathe::ui::hosts {

// "Install on host" in progress: the step (pack, upload, setup, configure, build, install,
// check), the build's progress from ninja's [n/m] lines, and the log as it comes. The job runs
// on the dialog's own thread; closing the dialog cancels it (the node's build may finish on
// its own; the log on the node says how it ended).
class InstallDialog : public QDialog {
    Q_OBJECT

  public:
    InstallDialog(core::run_manager::LathePaths paths, InstallRequest request,
                  remote::ssh::Prompts prompts, QWidget* parent = nullptr);
    ~InstallDialog() override;

    void start();
    bool running() const { return running_; }
    bool succeeded() const { return succeeded_; }
    QString phase() const;
    QString log_text() const;
    // "Installed: <version>" or "Failed: <why>", with where the log is.
    QString result_text() const;
    QProgressBar* progress() const { return progress_; }

  signals:
    void installed(const QString& host, const QString& version);

  protected:
    void done(int result) override;

  private:
    void on_line(const QString& text);
    void on_finished(bool ok, const QString& message, const QString& log_path);

    QString host_;
    QThread thread_;
    InstallJob* job_ = nullptr;
    QLabel* phase_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QLabel* result_ = nullptr;
    QPushButton* button_ = nullptr;
    bool running_ = false;
    bool succeeded_ = false;
};

}  // namespace lathe::ui::hosts
