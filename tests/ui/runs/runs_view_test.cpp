// RunsTableModel, RunsFilterProxy and RunsView fed by a RegistryWatcher over a real registry.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>

#include "tests/ui/runs/runs_fixture.h"
#include "ui/runs/registry_watcher_thread.h"
#include "ui/runs/runs_filter_proxy.h"
#include "ui/runs/runs_table_model.h"
#include "ui/runs/runs_view.h"

namespace lathe::ui::runs {
namespace {

using core::registry::RunStatus;
using tests::wait_until;

QString cell(const RunsView& view, const QString& id, int column, int role = Qt::DisplayRole) {
    const int row = view.model()->rowOf(id);
    if (row < 0)
        return {};
    return view.model()->index(row, column).data(role).toString();
}

TEST(RunsView, ShowsRegistryRunsAndKeepsSelectionAcrossUpdates) {
    tests::RunsFixture fx("runs-view-updates");
    fx.add_run("run-a", RunStatus::finished, 1000);
    fx.add_run("run-b", RunStatus::running, 2000);

    RunsView view;
    RegistryWatcherThread worker(fx.options());
    view.attach(worker.watcher());
    QSignalSpy selection(&view, &RunsView::selectionChangedRuns);
    worker.start();

    ASSERT_TRUE(wait_until([&] { return view.model()->rowCount() == 2; }));
    EXPECT_EQ(cell(view, "run-a", RunsTableModel::kName), "run-a-name");
    EXPECT_EQ(cell(view, "run-a", RunsTableModel::kStatus), "finished");
    EXPECT_EQ(cell(view, "run-a", RunsTableModel::kTarget), "local");
    EXPECT_EQ(cell(view, "run-a", RunsTableModel::kDuration), "1m 00s");
    // Newest first: the view sorts by start time, descending.
    EXPECT_EQ(view.proxy()->index(0, 0).data(RunsTableModel::kRunIdRole).toString(), "run-b");

    view.selectRun("run-a");
    ASSERT_EQ(view.selectedRunIds(), QStringList{"run-a"});
    ASSERT_EQ(selection.count(), 1);
    EXPECT_EQ(selection.last().at(0).toStringList(), QStringList{"run-a"});

    // Another process changes run-a and adds a run: the update arrives through the watcher.
    core::registry::RunUpdate update;
    update.status = RunStatus::failed;
    update.failure_reason = "killed by signal 9 (SIGKILL)";
    fx.registry->update_run("run-a", update);
    fx.add_run("run-c", RunStatus::queued, 3000);

    ASSERT_TRUE(wait_until([&] {
        return view.model()->rowCount() == 3 &&
               cell(view, "run-a", RunsTableModel::kStatus) == "failed";
    }));
    EXPECT_EQ(cell(view, "run-a", RunsTableModel::kStatus, Qt::ToolTipRole),
              "killed by signal 9 (SIGKILL)");
    EXPECT_EQ(view.selectedRunIds(), QStringList{"run-a"});
    EXPECT_EQ(selection.count(), 1);  // no spurious selection change

    // A removed run disappears from the list.
    fx.registry->remove_run("run-b");
    ASSERT_TRUE(wait_until([&] { return view.model()->rowCount() == 2; }));
    EXPECT_EQ(view.model()->rowOf("run-b"), -1);
    EXPECT_EQ(view.selectedRunIds(), QStringList{"run-a"});
}

TEST(RunsView, SearchAndStatusFilter) {
    tests::qt_app();
    RunsView view;
    RunsSnapshot snapshot;
    auto row = [](const char* id, const char* name, const char* status, QStringList tags) {
        RunRow r;
        r.id = id;
        r.name = name;
        r.status = status;
        r.live = QString(status) == "running";
        r.tags = tags;
        r.created_at = 1000;
        return r;
    };
    snapshot.runs = {row("20260101-a", "alpha", "finished", {"sweep"}),
                     row("20260102-b", "beta", "running", {}),
                     row("20260103-c", "gamma", "failed", {"sweep", "lr"})};
    view.setSnapshot(snapshot);
    ASSERT_EQ(view.proxy()->rowCount(), 3);

    view.searchBox()->setText("SWEEP");  // tags, case-insensitive
    EXPECT_EQ(view.proxy()->rowCount(), 2);
    view.searchBox()->setText("sweep lr");  // every word must match
    EXPECT_EQ(view.proxy()->rowCount(), 1);
    view.searchBox()->setText("0102");  // id
    EXPECT_EQ(view.proxy()->rowCount(), 1);
    view.searchBox()->setText("alp");  // name
    ASSERT_EQ(view.proxy()->rowCount(), 1);
    EXPECT_EQ(view.proxy()->index(0, 0).data().toString(), "alpha");
    view.searchBox()->clear();

    view.statusFilter()->setCurrentIndex(view.statusFilter()->findData("live"));
    ASSERT_EQ(view.proxy()->rowCount(), 1);
    EXPECT_EQ(view.proxy()->index(0, 0).data().toString(), "beta");
    view.statusFilter()->setCurrentIndex(view.statusFilter()->findData("failed"));
    ASSERT_EQ(view.proxy()->rowCount(), 1);
    EXPECT_EQ(view.proxy()->index(0, 0).data().toString(), "gamma");
    view.statusFilter()->setCurrentIndex(0);
    EXPECT_EQ(view.proxy()->rowCount(), 3);
}

TEST(RunsView, MultiSelectReportsSortedIds) {
    tests::qt_app();
    RunsView view;
    RunsSnapshot snapshot;
    for (const char* id : {"x", "y", "z"}) {
        RunRow r;
        r.id = id;
        r.name = id;
        r.status = "finished";
        snapshot.runs.push_back(r);
    }
    view.setSnapshot(snapshot);
    QSignalSpy spy(&view, &RunsView::selectionChangedRuns);
    auto* sel = view.table()->selectionModel();
    for (int row = 0; row < 3; ++row) {
        const auto id = view.proxy()->index(row, 0).data(RunsTableModel::kRunIdRole).toString();
        if (id != "y")
            sel->select(view.proxy()->index(row, 0),
                        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    ASSERT_GE(spy.count(), 1);
    EXPECT_EQ(spy.last().at(0).toStringList(), (QStringList{"x", "z"}));
}

TEST(RunsView, ProgressAndEvalLossColumns) {
    tests::qt_app();
    RunsTableModel model;
    RunsSnapshot snapshot;
    RunRow r;
    r.id = "p";
    r.status = "running";
    r.global_step = 120;
    r.max_steps = 300;
    r.last_eval_loss = 1.5;
    r.best_eval_loss = 1.23456;
    snapshot.runs = {r};
    model.setSnapshot(snapshot);
    EXPECT_EQ(model.index(0, RunsTableModel::kName).data().toString(), "p");  // no name: the id
    EXPECT_EQ(model.index(0, RunsTableModel::kProgress).data().toString(), "120/300");
    // The best eval loss, the last one in its tooltip.
    EXPECT_EQ(model.index(0, RunsTableModel::kEvalLoss).data().toString(), "1.2346");
    EXPECT_EQ(model.index(0, RunsTableModel::kEvalLoss).data(Qt::ToolTipRole).toString(),
              "last: 1.5000");
    EXPECT_EQ(model.headerData(RunsTableModel::kEvalLoss, Qt::Horizontal).toString(),
              "Best eval loss");
    EXPECT_EQ(model.index(0, RunsTableModel::kStarted).data().toString(), "");
}

TEST(RegistryWatcher, ReconcilesWhenAllowedAndReportsActionErrors) {
    tests::RunsFixture fx("runs-watcher-reconcile");
    fx.add_run("done", RunStatus::finished, 1000);
    RegistryWatcherThread worker(fx.options(/*reconcile=*/true));
    QSignalSpy runs(worker.watcher(), &RegistryWatcher::runsUpdated);
    QSignalSpy actions(worker.watcher(), &RegistryWatcher::actionFinished);
    worker.start();
    ASSERT_TRUE(wait_until([&] { return runs.count() >= 1; }));
    const auto snapshot = runs.last().at(0).value<RunsSnapshot>();
    EXPECT_TRUE(snapshot.error.isEmpty()) << snapshot.error.toStdString();
    ASSERT_EQ(snapshot.runs.size(), 1u);
    EXPECT_TRUE(snapshot.ingested);

    // Stopping a run that does not exist: the error text comes back, nothing crashes.
    QMetaObject::invokeMethod(worker.watcher(), "requestStop", Q_ARG(QString, "nope"));
    ASSERT_TRUE(wait_until([&] { return actions.count() == 1; }));
    const auto result = actions.last().at(0).value<ActionResult>();
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.action, "stop");
    EXPECT_FALSE(result.message.isEmpty());
}

}  // namespace
}  // namespace lathe::ui::runs
