#include "ui/runs/runs_filter_proxy.h"

#include "ui/runs/runs_table_model.h"

namespace lathe::ui::runs {

RunsFilterProxy::RunsFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(RunsTableModel::kSortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    // Rows whose status or step changed move to their new sorted place on their own.
    setDynamicSortFilter(true);
}

void RunsFilterProxy::setSearchText(const QString& text) {
    search_ = text.trimmed();
    invalidateFilter();
}

void RunsFilterProxy::setStatusFilter(const QString& status) {
    status_ = status;
    invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int source_row, const QModelIndex& source_parent) const {
    const QModelIndex index = sourceModel()->index(source_row, 0, source_parent);
    if (!status_.isEmpty()) {
        const QString status = index.data(RunsTableModel::kStatusRole).toString();
        const bool live = status == QLatin1String("starting") || status == QLatin1String("running");
        if (status_ == QLatin1String("live") ? !live : status != status_)
            return false;
    }
    if (search_.isEmpty())
        return true;
    const QString haystack = index.data(RunsTableModel::kSearchRole).toString();
    // Every word must match somewhere, so "sweep lr" narrows rather than widens.
    for (const auto& word : search_.split(' ', Qt::SkipEmptyParts)) {
        if (!haystack.contains(word, Qt::CaseInsensitive))
            return false;
    }
    return true;
}

}  // namespace lathe::ui::runs
