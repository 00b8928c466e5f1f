#pragma once

#include <QStringList>
#include <QWidget>

#include "ui/runs/run_snapshot.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace lathe::ui::runs {

class RegistryWatcher;
class RunsFilterProxy;
class RunsTableModel;

// The runs list: a search box (name, id, tag), a status filter and a sortable table, fed by
// RegistryWatcher snapshots. A context menu asks the watcher to stop, save, kill or remove the
// selected runs.
class RunsView : public QWidget {
    Q_OBJECT

  public:
    explicit RunsView(QWidget* parent = nullptr);

    // Queued connections both ways; the watcher may live in another thread.
    void attach(RegistryWatcher* watcher);

    QStringList selectedRunIds() const;
    void selectRun(const QString& run_id);

    RunsTableModel* model() const { return model_; }
    RunsFilterProxy* proxy() const { return proxy_; }
    QTableView* table() const { return table_; }
    QLineEdit* searchBox() const { return search_; }
    QComboBox* statusFilter() const { return status_; }
    QLabel* messageLabel() const { return message_; }

  public slots:
    void setSnapshot(const lathe::ui::runs::RunsSnapshot& snapshot);
    void showActionResult(const lathe::ui::runs::ActionResult& result);

  signals:
    void selectionChangedRuns(const QStringList& ids);
    void stopRequested(const QString& run_id);
    void saveNowRequested(const QString& run_id);
    void killRequested(const QString& run_id);
    void removeRequested(const QString& run_id);

  private:
    void showContextMenu(const QPoint& pos);

    RunsTableModel* model_;
    RunsFilterProxy* proxy_;
    QTableView* table_;
    QLineEdit* search_;
    QComboBox* status_;
    QLabel* message_;
    QStringList last_selection_;
};

}  // namespace lathe::ui::runs
