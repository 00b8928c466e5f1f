#pragma once

#include <QPlainTextEdit>
#include <QString>

#include "ui/runs/run_snapshot.h"

namespace lathe::ui::runs {

class RegistryWatcher;

// A run's stdout.log and stderr.log as the trainer writes them. The worker reads the files from
// byte offsets and sends only what is new; this view appends it, keeping the last lines only.
class RunLogView : public QPlainTextEdit {
    Q_OBJECT

  public:
    explicit RunLogView(QWidget* parent = nullptr);

    void attach(RegistryWatcher* watcher);
    const QString& runId() const { return run_id_; }

  public slots:
    void setRunId(const QString& run_id);
    void setSelectedRuns(const QStringList& ids);
    void appendChunk(const lathe::ui::runs::LogChunk& chunk);

  signals:
    void runChanged(const QString& run_id);

  private:
    QString run_id_;
};

}  // namespace lathe::ui::runs
