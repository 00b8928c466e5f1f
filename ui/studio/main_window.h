#pragma once

#include <map>
#include <memory>

#include <QMainWindow>
#include <QPointer>
#include <QThread>

#include "core/run_manager/lathe_paths.h"
#include "ui/hosts/host_rows.h"
#include "ui/runs/run_snapshot.h"

class QLabel;
class QPlainTextEdit;
class QSplitter;
class QTabWidget;

namespace lathe::ui::dashboard {
class ReplotThrottle;
}
namespace lathe::ui::run_form {
class NewRunDialog;
}
namespace lathe::ui::hosts {
class HostsMonitor;
class HostsView;
class InstallDialog;
class WindowPrompts;
}  // namespace lathe::ui::hosts
namespace lathe::ui::runs {
class CheckpointBrowser;
class CheckpointExportDialog;
class RegistryWatcherThread;
class RunLogView;
class RunsView;
}  // namespace lathe::ui::runs

namespace lathe::ui::studio {

class DashboardPanel;
class MetricsFeed;
class RunLauncher;
struct RunDetails;

// The studio window, two pages: Runs (the runs list on the left; the selected runs' page on the
// right with Dashboard, Config, Logs and Checkpoints tabs) and Hosts (ui/hosts/hosts_view.h). It
// composes widgets that each live in their own file and owns the worker threads (the registry
// watcher; the metrics feed and launcher; the hosts monitor; an install's), so the UI thread
// never touches SQLite, the disk, SSH or a process. SSH's questions from any of them are asked
// here (ui/hosts/window_prompts.h).
class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(core::run_manager::LathePaths paths, QWidget* parent = nullptr);
    ~MainWindow() override;

    runs::RunsView* runs_view() const { return runs_view_; }
    DashboardPanel* dashboard() const { return dashboard_; }
    runs::CheckpointBrowser* checkpoints() const { return checkpoints_; }
    QTabWidget* tabs() const { return tabs_; }
    QTabWidget* pages() const { return pages_; }
    hosts::HostsView* hosts_view() const { return hosts_view_; }
    // Imports a Hugging Face Trainer output folder as a run and opens its checkpoints (the
    // toolbar's "Open output folder..." asks for the folder first).
    void import_folder(const QString& folder);
    // Starts "Install on host" for `host` (the button asks first); returns the progress dialog.
    hosts::InstallDialog* open_install_dialog(const QString& host);
    // The export dialog for one checkpoint (non-modal; the browser's Export… opens it).
    runs::CheckpointExportDialog* open_export_dialog(const QString& run_id,
                                                     const QString& checkpoint_path);
    // Opens the New Run dialog (non-modal); returns it for tests.
    QWidget* open_new_run_dialog();

  protected:
    void closeEvent(QCloseEvent* event) override;

  signals:
    // To the worker thread (queued).
    void followRuns(const QStringList& run_ids, quint64 generation);
    void launchRun(const QString& run_json_text, const QString& name, const QString& target_json);
    void continueRun(const QString& run_id, qint64 steps);
    void forkRun(const QString& run_id, qint64 step, const QString& run_json_text);
    void watchHosts(const QStringList& names);
    void testHost(const QString& name);

  private:
    void select_runs(const QStringList& ids);
    void on_details(const RunDetails& details, quint64 generation);
    void on_snapshot(const runs::RunsSnapshot& snapshot);
    void open_fork_dialog(const QString& run_id, qint64 step);
    void notify(const QString& title, const QString& message);
    void restore_settings();
    void save_settings() const;
    void stop_workers();
    void on_hosts(const hosts::HostsSnapshot& snapshot);
    void show_host_usage();
    void offer_hosts(run_form::NewRunDialog* dialog) const;

    core::run_manager::LathePaths paths_;
    hosts::WindowPrompts* prompts_ = nullptr;
    runs::RegistryWatcherThread* watcher_thread_ = nullptr;
    QThread hosts_thread_;
    hosts::HostsMonitor* monitor_ = nullptr;
    hosts::HostsSnapshot hosts_;
    QPointer<run_form::NewRunDialog> new_run_dialog_;  // kept current with hosts_
    QString dashboard_host_;                           // the host of the run the dashboard shows
    QThread feed_thread_;
    MetricsFeed* feed_ = nullptr;
    RunLauncher* launcher_ = nullptr;
    dashboard::ReplotThrottle* throttle_ = nullptr;
    quint64 generation_ = 0;

    QTabWidget* pages_ = nullptr;
    hosts::HostsView* hosts_view_ = nullptr;
    QSplitter* splitter_ = nullptr;
    runs::RunsView* runs_view_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    DashboardPanel* dashboard_ = nullptr;
    QPlainTextEdit* config_ = nullptr;
    runs::RunLogView* logs_ = nullptr;
    runs::CheckpointBrowser* checkpoints_ = nullptr;
    std::map<QString, QString> last_status_;  // for notifications when a run ends
    QString pending_select_;  // a run just launched, selected once the list shows it
    bool stopped_ = false;
};

}  // namespace lathe::ui::studio
