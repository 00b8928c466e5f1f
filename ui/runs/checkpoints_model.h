#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "ui/runs/run_snapshot.h"

namespace lathe::ui::runs {

// One run's checkpoints, by step. Updates of the same run are diffed by folder path (the
// registry's key) so that the selected checkpoint stays selected; another run resets the model.
class CheckpointsModel : public QAbstractTableModel {
    Q_OBJECT

  public:
    enum Column { kStep, kEpoch, kEvalLoss, kSize, kBest, kState, kColumnCount };
    enum Role { kPathRole = Qt::UserRole + 1, kStepRole, kPresentRole };

    explicit CheckpointsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const QString& runId() const { return run_id_; }
    const CheckpointRow& checkpoint(int row) const {
        return rows_.at(static_cast<std::size_t>(row));
    }

  public slots:
    void setSnapshot(const lathe::ui::runs::CheckpointsSnapshot& snapshot);

  private:
    QString run_id_;
    std::vector<CheckpointRow> rows_;
};

}  // namespace lathe::ui::runs
