#include "ui/run_form/dry_runner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

namespace lathe::ui::run_form {

DryRunner::DryRunner(QObject* parent)
    : QObject(parent),
      program_(QDir(QCoreApplication::applicationDirPath()).filePath("lathe-train")) {}

DryRunner::~DryRunner() {
    if (process_ && process_->state() != QProcess::NotRunning) {
        process_->disconnect(this);
        process_->kill();
        process_->waitForFinished(1000);
    }
}

bool DryRunner::is_running() const {
    return process_ && process_->state() != QProcess::NotRunning;
}

void DryRunner::start(const nlohmann::json& run_json) {
    if (process_) {
        process_->disconnect(this);
        process_->kill();
        process_->waitForFinished(1000);
        process_->deleteLater();
        process_ = nullptr;
    }
    dir_ = std::make_unique<QTemporaryDir>();
    const auto config_path = dir_->filePath("run.json");
    QFile file(config_path);
    if (!dir_->isValid() || !file.open(QIODevice::WriteOnly)) {
        emit finished(false, "cannot write a temporary run.json: " + file.errorString());
        return;
    }
    file.write(QByteArray::fromStdString(run_json.dump(2)));
    file.close();

    process_ = new QProcess(this);
    process_->setProcessChannelMode(QProcess::MergedChannels);
    // The dry run's own run directory goes in the temporary folder, not the user's cwd.
    process_->setWorkingDirectory(dir_->path());
    auto* process = process_;
    connect(
        process, &QProcess::finished, this, [this, process](int code, QProcess::ExitStatus status) {
            const auto output = QString::fromUtf8(process->readAll());
            const bool ok = status == QProcess::NormalExit && code == 0;
            emit finished(
                ok,
                ok ? output : output + QString("\n%1 exited with code %2").arg(program_).arg(code));
        });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            emit finished(false, program_ + ": " + process->errorString());
    });
    process_->start(program_, {"--config", config_path, "--dry-run"});
}

}  // namespace lathe::ui::run_form
