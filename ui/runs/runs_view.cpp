#include "ui/runs/runs_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/runs/registry_watcher.h"
#include "ui/runs/runs_filter_proxy.h"
#include "ui/runs/runs_table_model.h"

namespace lathe::ui::runs {

RunsView::RunsView(QWidget* parent)
    : QWidget(parent),
      model_(new RunsTableModel(this)),
      proxy_(new RunsFilterProxy(this)),
      table_(new QTableView(this)),
      search_(new QLineEdit(this)),
      status_(new QComboBox(this)),
      message_(new QLabel(this)) {
    register_snapshot_types();
    proxy_->setSourceModel(model_);

    search_->setPlaceholderText(tr("Search name, id or tag"));
    search_->setClearButtonEnabled(true);
    status_->addItem(tr("All statuses"), QString());
    status_->addItem(tr("Live"), QStringLiteral("live"));
    for (const char* s : {"queued", "starting", "running", "finished", "failed", "stopped", "lost"})
        status_->addItem(QString::fromLatin1(s), QString::fromLatin1(s));

    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(RunsTableModel::kStarted, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    message_->setWordWrap(true);
    message_->hide();

    auto* filters = new QHBoxLayout;
    filters->addWidget(search_, 1);
    filters->addWidget(status_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(table_, 1);
    layout->addWidget(message_);

    connect(search_, &QLineEdit::textChanged, proxy_, &RunsFilterProxy::setSearchText);
    connect(status_, &QComboBox::currentIndexChanged, this,
            [this](int) { proxy_->setStatusFilter(status_->currentData().toString()); });
    // Filtering hides rows without emitting selectionChanged for them, and updates can change
    // the selected set; report only real changes of the ids.
    auto report = [this] {
        const QStringList ids = selectedRunIds();
        if (ids != last_selection_) {
            last_selection_ = ids;
            emit selectionChangedRuns(ids);
        }
    };
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, report);
    connect(proxy_, &QAbstractItemModel::rowsRemoved, this, report);
    connect(proxy_, &QAbstractItemModel::layoutChanged, this, report);
    connect(table_, &QWidget::customContextMenuRequested, this, &RunsView::showContextMenu);
}

void RunsView::attach(RegistryWatcher* watcher) {
    connect(watcher, &RegistryWatcher::runsUpdated, this, &RunsView::setSnapshot);
    connect(watcher, &RegistryWatcher::actionFinished, this, &RunsView::showActionResult);
    connect(this, &RunsView::stopRequested, watcher, &RegistryWatcher::requestStop);
    connect(this, &RunsView::saveNowRequested, watcher, &RegistryWatcher::requestSaveNow);
    connect(this, &RunsView::killRequested, watcher, &RegistryWatcher::requestKill);
    connect(this, &RunsView::removeRequested, watcher, &RegistryWatcher::requestRemove);
}

QStringList RunsView::selectedRunIds() const {
    QStringList ids;
    for (const QModelIndex& index : table_->selectionModel()->selectedRows())
        ids << index.data(RunsTableModel::kRunIdRole).toString();
    ids.sort();
    return ids;
}

void RunsView::selectRun(const QString& run_id) {
    const int row = model_->rowOf(run_id);
    if (row < 0)
        return;
    const QModelIndex index = proxy_->mapFromSource(model_->index(row, 0));
    if (!index.isValid())
        return;  // filtered out
    table_->selectionModel()->select(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    table_->scrollTo(index);
}

void RunsView::setSnapshot(const RunsSnapshot& snapshot) {
    model_->setSnapshot(snapshot);
    if (!snapshot.error.isEmpty()) {
        message_->setText(snapshot.error);
        message_->show();
    } else if (message_->property("registryError").toBool()) {
        message_->hide();
    }
    message_->setProperty("registryError", !snapshot.error.isEmpty());
}

void RunsView::showActionResult(const ActionResult& result) {
    if (result.action == QLatin1String("delete_checkpoint") ||
        result.action == QLatin1String("resume"))
        return;  // the checkpoint browser reports those
    message_->setProperty("registryError", false);
    message_->setText(
        result.ok ? tr("%1: done for %2").arg(result.action, result.run_id)
                  : tr("%1 failed for %2: %3").arg(result.action, result.run_id, result.message));
    message_->show();
}

void RunsView::showContextMenu(const QPoint& pos) {
    const QStringList ids = selectedRunIds();
    if (ids.isEmpty())
        return;
    QMenu menu(this);
    auto add = [&](const QString& text, void (RunsView::*signal)(const QString&)) {
        connect(menu.addAction(text), &QAction::triggered, this, [this, ids, signal] {
            for (const auto& id : ids)
                emit(this->*signal)(id);
        });
    };
    add(tr("Stop (checkpoint, then exit)"), &RunsView::stopRequested);
    add(tr("Save checkpoint now"), &RunsView::saveNowRequested);
    add(tr("Kill (no checkpoint)"), &RunsView::killRequested);
    menu.addSeparator();
    add(tr("Remove run"), &RunsView::removeRequested);
    menu.exec(table_->viewport()->mapToGlobal(pos));
}

}  // namespace lathe::ui::runs
