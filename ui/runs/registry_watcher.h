#pragma once

#include <cstdint>
#include <memory>

#include <QObject>
#include <QString>
#include <QStringList>

#include "core/run_manager/lathe_paths.h"
#include "ui/runs/remote_runs_sync.h"
#include "ui/runs/run_snapshot.h"

class QTimer;

namespace lathe::core::run_manager {
class RunManager;
}

namespace lathe::ui::runs {

struct WatcherOptions {
    core::run_manager::LathePaths paths;  // empty fields: resolve_paths() defaults
    int interval_ms = 1000;
    // reconcile() before each listing (ingests events, settles ended runs, starts queued ones).
    // Off only where something else keeps the registry current, e.g. tests of the views.
    bool reconcile = true;
    int log_tail_bytes = 256 * 1024;  // how much of an existing log is shown when following starts
    // Answers SSH's questions while remote runs sync (ui/hosts/window_prompts.h); none: "no".
    remote::ssh::Prompts prompts;
};

// The only place the studio's runs views touch SQLite or the disk. It lives in its own QThread
// (RegistryWatcherThread) and opens its own RunManager there, since a Registry is one connection
// to be used from one thread. Every interval it reconciles (or only reads, when another process
// holds the ingestion lock), lists the runs and emits copies; the widgets ask for actions through
// its slots (queued across threads) and hear back through actionFinished.
class RegistryWatcher : public QObject {
    Q_OBJECT

  public:
    explicit RegistryWatcher(WatcherOptions options, QObject* parent = nullptr);
    ~RegistryWatcher() override;

  public slots:
    // Opens the registry in the calling (worker) thread and starts polling.
    void start();
    // Stops polling and closes the registry; the thread that owns the watcher must call it.
    void shutdown();
    // A pass now instead of at the next tick.
    void refresh();

    // The run whose checkpoints (and log) are followed; "" for none.
    void watchCheckpoints(const QString& run_id);
    void followLog(const QString& run_id);

    void requestStop(const QString& run_id);
    void requestSaveNow(const QString& run_id);
    void requestKill(const QString& run_id);
    void requestRemove(const QString& run_id);
    void requestResume(const QString& run_id, qint64 step);
    // Imports a Hugging Face Trainer output folder (RunManager::import_hf_folder): its
    // checkpoints and log history become a run; new_run_id names it.
    void requestImport(const QString& folder);
    void requestDeleteCheckpoint(const QString& run_id, const QString& path);

  signals:
    void runsUpdated(const lathe::ui::runs::RunsSnapshot& snapshot);
    void checkpointsUpdated(const lathe::ui::runs::CheckpointsSnapshot& snapshot);
    void logAppended(const lathe::ui::runs::LogChunk& chunk);
    void actionFinished(const lathe::ui::runs::ActionResult& result);
    // What went wrong syncing runs on SSH hosts in a pass (messages naming the host).
    void remoteProblems(const QStringList& messages);

  private:
    void open_manager();  // throws what RunManager's constructor throws
    void tick();
    void publish_runs();
    void publish_checkpoints();
    void pump_logs();
    void pump_log(const QString& stream, const std::string& path, std::uint64_t* offset);
    // Runs `work` against the manager and reports its outcome; exceptions become the message.
    template <typename Work>
    void perform(const QString& action, const QString& run_id, Work work);

    WatcherOptions options_;
    // Declared before manager_, whose launcher uses its connections: destroyed after it.
    std::unique_ptr<RemoteRunsSync> remote_;
    std::unique_ptr<core::run_manager::RunManager> manager_;
    QString open_error_;
    QTimer* timer_ = nullptr;
    bool last_ingested_ = false;
    QString checkpoints_run_;
    QString log_run_;
    std::string log_dir_;
    std::uint64_t stdout_offset_ = 0, stderr_offset_ = 0;
};

}  // namespace lathe::ui::runs
