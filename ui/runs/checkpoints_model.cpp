#include "ui/runs/checkpoints_model.h"

#include <algorithm>

#include <QBrush>
#include <QLocale>
#include <QPalette>

namespace lathe::ui::runs {

CheckpointsModel::CheckpointsModel(QObject* parent) : QAbstractTableModel(parent) {}

int CheckpointsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int CheckpointsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumnCount;
}

QVariant CheckpointsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const CheckpointRow& c = checkpoint(index.row());
    switch (role) {
        case kPathRole:
            return c.path;
        case kStepRole:
            return static_cast<qlonglong>(c.step);
        case kPresentRole:
            return c.present;
        case Qt::ToolTipRole:
            return c.path;
        case Qt::ForegroundRole:
            // A deleted checkpoint stays listed (its metrics are history) but reads as gone.
            if (!c.present)
                return QPalette().brush(QPalette::Disabled, QPalette::Text);
            return {};
        case Qt::DisplayRole:
            switch (index.column()) {
                case kStep:
                    return static_cast<qlonglong>(c.step);
                case kEpoch:
                    return c.epoch ? QString::number(*c.epoch, 'f', 2) : QString();
                case kEvalLoss:
                    return c.eval_loss ? QString::number(*c.eval_loss, 'f', 4) : QString();
                case kSize:
                    return c.bytes > 0 ? QLocale().formattedDataSize(c.bytes) : QString();
                case kBest:
                    return c.best ? QStringLiteral("★ best") : QString();
                case kState:
                    return c.present ? tr("present") : tr("deleted");
                default:
                    return {};
            }
        default:
            return {};
    }
}

QVariant CheckpointsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
        case kStep:
            return tr("Step");
        case kEpoch:
            return tr("Epoch");
        case kEvalLoss:
            return tr("Eval loss");
        case kSize:
            return tr("Size");
        case kBest:
            return tr("Best");
        case kState:
            return tr("State");
        default:
            return {};
    }
}

void CheckpointsModel::setSnapshot(const CheckpointsSnapshot& snapshot) {
    if (snapshot.run_id != run_id_) {
        beginResetModel();
        run_id_ = snapshot.run_id;
        rows_ = snapshot.checkpoints;
        endResetModel();
        return;
    }
    if (!snapshot.error.isEmpty())
        return;
    auto in = [](auto& rows, const QString& path) {
        return std::find_if(rows.begin(), rows.end(),
                            [&](const CheckpointRow& r) { return r.path == path; });
    };
    for (int i = static_cast<int>(rows_.size()) - 1; i >= 0; --i) {
        if (in(snapshot.checkpoints, rows_[static_cast<std::size_t>(i)].path) ==
            snapshot.checkpoints.end()) {
            beginRemoveRows({}, i, i);
            rows_.erase(rows_.begin() + i);
            endRemoveRows();
        }
    }
    for (const auto& fresh : snapshot.checkpoints) {
        const auto it = in(rows_, fresh.path);
        if (it != rows_.end()) {
            if (*it != fresh) {
                *it = fresh;
                const int row = static_cast<int>(it - rows_.begin());
                emit dataChanged(index(row, 0), index(row, kColumnCount - 1));
            }
            continue;
        }
        // Keep the rows ordered by step: a new checkpoint goes where its step belongs.
        const auto at = std::find_if(rows_.begin(), rows_.end(),
                                     [&](const CheckpointRow& r) { return r.step > fresh.step; });
        const int row = static_cast<int>(at - rows_.begin());
        beginInsertRows({}, row, row);
        rows_.insert(rows_.begin() + row, fresh);
        endInsertRows();
    }
}

}  // namespace lathe::ui::runs
