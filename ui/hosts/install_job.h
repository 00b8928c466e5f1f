#pragma once

#include <atomic>

#include <QObject>
#include <QString>

#include "core/run_manager/lathe_paths.h"
#include "remote/runs/host_install.h"
#include "remote/ssh/ssh_target.h"

namespace lathe::ui::hosts {

struct InstallRequest {
    QString host;
    remote::runs::InstallOptions options;
};

// "Install on host" on its own thread (a build on the node takes minutes): connects, runs
// remote::runs::install_on_host, keeps the whole log on this machine
// (<registry folder>/hosts/<host>/install-<time>.log) and, once the installed worker answers
// --version, points the host's worker and supervisor commands at it (a ~/.ssh/config alias
// becomes an added host then). cancel() may be called from any thread.
class InstallJob : public QObject {
    Q_OBJECT

  public:
    InstallJob(core::run_manager::LathePaths paths, InstallRequest request,
               remote::ssh::Prompts prompts, QObject* parent = nullptr);
    void cancel() { cancelled_ = true; }
    const QString& log_path() const { return log_path_; }

  public slots:
    void run();

  signals:
    void line(const QString& text);
    // ok: `message` is the installed version; otherwise why it failed.
    void finished(bool ok, const QString& message, const QString& log_path);

  private:
    core::run_manager::LathePaths paths_;
    InstallRequest request_;
    remote::ssh::Prompts prompts_;
    std::atomic<bool> cancelled_{false};
    QString log_path_;
};

}  // namespace lathe::ui::hosts
