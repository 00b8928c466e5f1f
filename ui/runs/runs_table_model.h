#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "ui/runs/run_snapshot.h"

namespace lathe::ui::runs {

// The registry's runs as a table. setSnapshot() diffs by run id (rows removed, changed rows
// emit dataChanged, new rows appended) instead of resetting, so that selections and the view's
// scroll position survive the once-a-second updates. Sorting is the proxy's job.
class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT

  public:
    enum Column {
        kName,
        kStatus,
        kTarget,
        kProgress,
        kEvalLoss,
        kStarted,
        kDuration,
        kColumnCount
    };
    enum Role {
        kRunIdRole = Qt::UserRole + 1,
        kSortRole,    // a number or string that orders the column
        kSearchRole,  // "id name tag tag..." for the search box
        kStatusRole,  // the status word, for the status filter
    };

    explicit RunsTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const RunRow& run(int row) const { return rows_.at(static_cast<std::size_t>(row)); }
    int rowOf(const QString& run_id) const;  // -1 when absent

  public slots:
    void setSnapshot(const lathe::ui::runs::RunsSnapshot& snapshot);

  private:
    std::vector<RunRow> rows_;
};

}  // namespace lathe::ui::runs
