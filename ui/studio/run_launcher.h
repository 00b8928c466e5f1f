#pragma once

#include <memory>

#include <QObject>
#include <QString>

#include <nlohmann/json.hpp>

#include "core/run_manager/lathe_paths.h"
#include "remote/ssh/ssh_target.h"

namespace lathe::core::run_manager {
class RunManager;
}
namespace lathe::ui::runs {
class RemoteRunsSync;
}

namespace lathe::ui::studio {

// Starts runs for the window on a worker thread (validating run.json, creating the directory,
// registering and spawning lathe-train are disk, SQLite and process work), with its own
// RunManager. Results come back as signals.
class RunLauncher : public QObject {
    Q_OBJECT

  public:
    // `prompts` answers SSH's questions when a run starts on a host (the window's dialogs).
    explicit RunLauncher(core::run_manager::LathePaths paths, remote::ssh::Prompts prompts = {},
                         QObject* parent = nullptr);
    ~RunLauncher() override;

  public slots:
    void shutdown();
    // A new run from the New Run dialog's run.json; `target_json` (may be empty) is where it
    // goes: {"target", "extra_hosts", "processes", "gpus", "max_failures"}.
    void launch(const QString& run_json_text, const QString& name,
                const QString& target_json = QString());
    // `steps` more optimizer steps after an ended run.
    void continueRun(const QString& run_id, qint64 steps);
    // Resume from checkpoint `step` with the TrainingArguments of `run_json_text` (the changes
    // against the parent become overrides and are recorded as the fork's diff).
    void fork(const QString& run_id, qint64 step, const QString& run_json_text);

  signals:
    void launched(const QString& run_id, const QString& warnings);
    void failed(const QString& message);

  private:
    core::run_manager::RunManager& manager();

    core::run_manager::LathePaths paths_;
    remote::ssh::Prompts prompts_;
    std::unique_ptr<core::run_manager::RunManager> manager_;
    std::unique_ptr<runs::RemoteRunsSync> remote_;  // SSH sessions for runs on other machines
};

}  // namespace lathe::ui::studio
