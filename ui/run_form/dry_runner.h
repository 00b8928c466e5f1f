#pragma once

#include <memory>

#include <QObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

namespace lathe::ui::run_form {

// `lathe-train --config <temp run.json> --dry-run` as an asynchronous QProcess: the dry run reads
// and tokenizes the data and builds the model, which takes far too long for the UI thread.
class DryRunner : public QObject {
    Q_OBJECT

  public:
    explicit DryRunner(QObject* parent = nullptr);
    // Kills a dry run still going: its result would have nowhere to go.
    ~DryRunner() override;

    // Default: lathe-train beside this executable.
    void set_program(const QString& path) { program_ = path; }
    QString program() const { return program_; }

    bool is_running() const;
    // A dry run already going is killed first.
    void start(const nlohmann::json& run_json);

  signals:
    // ok: exit code 0. output: stdout and stderr as printed, or why it could not start.
    void finished(bool ok, const QString& output);

  private:
    QString program_;
    QProcess* process_ = nullptr;
    std::unique_ptr<QTemporaryDir> dir_;  // holds the run.json the process reads
};

}  // namespace lathe::ui::run_form
