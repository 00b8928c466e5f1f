#include "ui/runs/runs_table_model.h"

#include <unordered_map>

#include <QDateTime>
#include <QLocale>

namespace lathe::ui::runs {

namespace {

QString format_duration(qint64 seconds) {
    if (seconds < 0)
        seconds = 0;
    const qint64 h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
    if (h > 0)
        return QStringLiteral("%1h %2m").arg(h).arg(m, 2, 10, QLatin1Char('0'));
    if (m > 0)
        return QStringLiteral("%1m %2s").arg(m).arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

// A live run's duration grows with the clock; an ended one's is fixed. -1: not started.
qint64 duration_seconds(const RunRow& run) {
    if (!run.started_at)
        return -1;
    const double end = run.ended_at ? *run.ended_at
                       : run.live   ? static_cast<double>(QDateTime::currentSecsSinceEpoch())
                                    : *run.started_at;
    return static_cast<qint64>(end - *run.started_at);
}

QString format_time(double seconds) {
    return QDateTime::fromSecsSinceEpoch(static_cast<qint64>(seconds))
        .toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

}  // namespace

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumnCount;
}

int RunsTableModel::rowOf(const QString& run_id) const {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        if (rows_[i].id == run_id)
            return static_cast<int>(i);
    }
    return -1;
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const RunRow& r = run(index.row());
    switch (role) {
        case kRunIdRole:
            return r.id;
        case kSearchRole:
            return QStringList{r.id, r.name, r.tags.join(' ')}.join(' ');
        case kStatusRole:
            return r.status;
        case Qt::ToolTipRole:
            if (index.column() == kStatus && !r.failure_reason.isEmpty())
                return r.failure_reason;
            if (index.column() == kEvalLoss && r.last_eval_loss)
                return tr("last: %1").arg(*r.last_eval_loss, 0, 'f', 4);
            if (index.column() == kName)
                return r.parent_run_id.isEmpty()
                           ? r.id
                           : r.id + QStringLiteral("\nfrom ") + r.parent_run_id;
            return {};
        case Qt::TextAlignmentRole:
            if (index.column() == kProgress || index.column() == kEvalLoss ||
                index.column() == kDuration)
                return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
            return {};
        case kSortRole:
            switch (index.column()) {
                case kProgress:
                    return r.max_steps > 0 ? static_cast<double>(r.global_step) / r.max_steps
                                           : static_cast<double>(r.global_step);
                case kEvalLoss:
                    // Runs without an eval sort after every number.
                    return r.best_eval_loss ? *r.best_eval_loss : 1e300;
                case kStarted:
                    return r.started_at ? *r.started_at : r.created_at;
                case kDuration:
                    return static_cast<qlonglong>(duration_seconds(r));
                default:
                    return data(index, Qt::DisplayRole);
            }
        case Qt::DisplayRole:
            switch (index.column()) {
                case kName:
                    return r.name.isEmpty() ? r.id : r.name;
                case kStatus:
                    return r.status;
                case kTarget:
                    return r.target;
                case kProgress:
                    if (r.max_steps > 0)
                        return QStringLiteral("%1/%2").arg(r.global_step).arg(r.max_steps);
                    return r.global_step > 0 ? QString::number(r.global_step) : QString();
                case kEvalLoss:
                    return r.best_eval_loss ? QString::number(*r.best_eval_loss, 'f', 4)
                                            : QString();
                case kStarted:
                    return r.started_at ? format_time(*r.started_at) : QString();
                case kDuration: {
                    const qint64 s = duration_seconds(r);
                    return s < 0 ? QString() : format_duration(s);
                }
                default:
                    return {};
            }
        default:
            return {};
    }
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
        case kName:
            return tr("Name");
        case kStatus:
            return tr("Status");
        case kTarget:
            return tr("Target");
        case kProgress:
            return tr("Progress");
        case kEvalLoss:
            return tr("Best eval loss");
        case kStarted:
            return tr("Started");
        case kDuration:
            return tr("Duration");
        default:
            return {};
    }
}

void RunsTableModel::setSnapshot(const RunsSnapshot& snapshot) {
    if (!snapshot.error.isEmpty())
        return;  // keep showing the last good list; the view reports the error
    std::unordered_map<QString, const RunRow*> incoming;
    for (const auto& r : snapshot.runs)
        incoming.emplace(r.id, &r);

    // Remove from the back so that the remaining row numbers stay valid.
    for (int i = static_cast<int>(rows_.size()) - 1; i >= 0; --i) {
        if (incoming.count(rows_[static_cast<std::size_t>(i)].id) == 0) {
            beginRemoveRows({}, i, i);
            rows_.erase(rows_.begin() + i);
            endRemoveRows();
        }
    }
    std::unordered_map<QString, int> present;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
        const RunRow& fresh = *incoming.at(rows_[i].id);
        present.emplace(rows_[i].id, static_cast<int>(i));
        // Live rows change every second (duration) even when the registry did not.
        if (fresh != rows_[i] || fresh.live) {
            rows_[i] = fresh;
            emit dataChanged(index(static_cast<int>(i), 0),
                             index(static_cast<int>(i), kColumnCount - 1));
        }
    }
    std::vector<RunRow> added;
    for (const auto& r : snapshot.runs) {
        if (present.count(r.id) == 0)
            added.push_back(r);
    }
    if (!added.empty()) {
        const int first = static_cast<int>(rows_.size());
        beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
        rows_.insert(rows_.end(), added.begin(), added.end());
        endInsertRows();
    }
}

}  // namespace lathe::ui::runs
