// CheckpointsModel and CheckpointBrowser over a real registry, with actions done by the watcher.
#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>

#include "tests/ui/runs/runs_fixture.h"
#include "ui/runs/checkpoint_browser.h"
#include "ui/runs/checkpoint_export_dialog.h"
#include "ui/runs/checkpoints_model.h"
#include "ui/runs/registry_watcher_thread.h"

namespace lathe::ui::runs {
namespace {

namespace fs = std::filesystem;
using core::registry::CheckpointRecord;
using core::registry::RunStatus;
using tests::wait_until;

CheckpointRecord checkpoint(std::int64_t step, const std::string& path, double eval_loss,
                            bool best) {
    CheckpointRecord c;
    c.step = step;
    c.path = path;
    c.bytes = 2048;
    c.metrics = {{"eval_loss", eval_loss}, {"epoch", step / 10.0}};
    c.best = best;
    c.saved_at = 1000 + step;
    return c;
}

QString text(const CheckpointBrowser& b, int row, int column) {
    return b.model()->index(row, column).data().toString();
}

// A finished Lathe run with checkpoints 10 (best), 20 and 30 (deleted) in its run directory.
struct BrowserFixture : tests::RunsFixture {
    explicit BrowserFixture(const std::string& name) : RunsFixture(name) {
        const auto run = add_run("run-1", RunStatus::finished, 1000);
        out = run.run_dir;
        c10 = make_checkpoint_folder(out, 10, true);
        c20 = make_checkpoint_folder(out, 20, true);
        const std::string c30 = (fs::path(out) / "checkpoint-30").string();
        registry->upsert_checkpoint("run-1", checkpoint(10, c10, 0.5, true));
        registry->upsert_checkpoint("run-1", checkpoint(20, c20, 0.7, false));
        registry->upsert_checkpoint("run-1", checkpoint(30, c30, 0.9, false));
        registry->mark_checkpoint_deleted("run-1", c30, 1100);
    }
    std::string out, c10, c20;
};

// A browser attached to a watcher of the fixture's registry, showing run-1.
struct ShownBrowser {
    explicit ShownBrowser(const BrowserFixture& fx) : worker(fx.options()) {
        browser.attach(worker.watcher());
        worker.start();
        browser.setRunId("run-1");
    }
    CheckpointBrowser browser;
    RegistryWatcherThread worker;
};

TEST(CheckpointBrowser, ListsCheckpointsWithBestAndDeletedMarkers) {
    BrowserFixture fx("ckpt-list");
    CheckpointBrowser browser;
    RegistryWatcherThread worker(fx.options());
    browser.attach(worker.watcher());
    worker.start();
    browser.setSelectedRuns({"run-1"});
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 3; }));

    EXPECT_EQ(text(browser, 0, CheckpointsModel::kStep), "10");
    EXPECT_EQ(text(browser, 0, CheckpointsModel::kEpoch), "1.00");
    EXPECT_EQ(text(browser, 0, CheckpointsModel::kEvalLoss), "0.5000");
    EXPECT_FALSE(text(browser, 0, CheckpointsModel::kSize).isEmpty());
    EXPECT_TRUE(text(browser, 0, CheckpointsModel::kBest).contains("best"));
    EXPECT_TRUE(text(browser, 1, CheckpointsModel::kBest).isEmpty());
    EXPECT_EQ(text(browser, 1, CheckpointsModel::kState), "present");
    EXPECT_EQ(text(browser, 2, CheckpointsModel::kState), "deleted");

    // A deleted checkpoint can only have its path copied.
    browser.selectStep(30);
    EXPECT_FALSE(browser.resumeAction()->isEnabled());
    EXPECT_FALSE(browser.deleteAction()->isEnabled());
    EXPECT_TRUE(browser.copyPathAction()->isEnabled());
    browser.selectStep(20);
    EXPECT_TRUE(browser.resumeAction()->isEnabled());
    browser.copyPathAction()->trigger();
    EXPECT_EQ(QGuiApplication::clipboard()->text(), QString::fromStdString(fx.c20));

    QSignalSpy fork(&browser, &CheckpointBrowser::forkRequested);
    browser.forkAction()->trigger();
    ASSERT_EQ(fork.count(), 1);
    EXPECT_EQ(fork.at(0).at(0).toString(), "run-1");
    EXPECT_EQ(fork.at(0).at(1).toLongLong(), 20);

    // A new checkpoint arrives while the run is shown; the selection stays on step 20.
    const std::string c25 = fx.make_checkpoint_folder(fx.out, 25, true);
    fx.registry->upsert_checkpoint("run-1", checkpoint(25, c25, 0.6, false));
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 4; }));
    EXPECT_EQ(text(browser, 2, CheckpointsModel::kStep), "25");
    ASSERT_GE(browser.currentRow(), 0);
    EXPECT_EQ(browser.model()->checkpoint(browser.currentRow()).step, 20);

    // Several runs selected: no checkpoints shown.
    browser.setSelectedRuns({"run-1", "run-2"});
    EXPECT_EQ(browser.model()->rowCount(), 0);
    EXPECT_FALSE(browser.resumeAction()->isEnabled());
}

TEST(CheckpointBrowser, DeleteRemovesTheFolderAndMarksItDeleted) {
    BrowserFixture fx("ckpt-delete");
    ShownBrowser shown(fx);
    CheckpointBrowser& browser = shown.browser;
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 3; }));

    QStringList asked;
    bool answer = false;
    browser.setConfirmDelete([&](const QString& path) {
        asked << path;
        return answer;
    });
    browser.selectStep(20);
    browser.deleteAction()->trigger();  // declined
    ASSERT_EQ(asked, QStringList{QString::fromStdString(fx.c20)});
    QTest::qWait(300);  // a few watcher ticks: nothing may have happened
    EXPECT_TRUE(fs::exists(fx.c20));

    answer = true;
    browser.deleteAction()->trigger();
    ASSERT_TRUE(
        wait_until([&] { return text(browser, 1, CheckpointsModel::kState) == "deleted"; }));
    EXPECT_FALSE(fs::exists(fx.c20));
    EXPECT_TRUE(fs::exists(fx.c10));
    EXPECT_TRUE(browser.messageLabel()->text().startsWith("Deleted"));
    const auto rows = fx.registry->checkpoints("run-1");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_FALSE(rows[1].present);
    EXPECT_TRUE(rows[1].deleted_at.has_value());
    EXPECT_TRUE(rows[0].present);
}

// Export from the browser: the action hands the window the checkpoint, and the dialog copies the
// model only or the whole checkpoint on its own thread, refusing a target that exists before
// copying anything and a folder the registry does not list.
TEST(CheckpointBrowser, ExportCopiesTheModelOrTheWholeCheckpoint) {
    BrowserFixture fx("ckpt-export");
    for (const char* name : {"config.json", "tokenizer.json", "optimizer.pt", "scheduler.pt"})
        std::ofstream(fs::path(fx.c10) / name) << name;
    std::ofstream(fs::path(fx.c10) / "model.safetensors") << std::string(1 << 20, 'w');
    ShownBrowser shown(fx);
    CheckpointBrowser& browser = shown.browser;
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 3; }));
    browser.selectStep(30);  // deleted: nothing to export
    EXPECT_FALSE(browser.exportAction()->isEnabled());
    browser.selectStep(10);
    QSignalSpy requested(&browser, &CheckpointBrowser::exportRequested);
    browser.exportAction()->trigger();
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested.at(0).at(0).toString(), "run-1");
    const QString path = requested.at(0).at(1).toString();
    EXPECT_EQ(path, QString::fromStdString(fx.c10));

    const fs::path exports = fx.dir / "exports";
    auto run_export = [&](bool model_only) {
        auto dialog = std::make_unique<CheckpointExportDialog>(fx.paths, remote::ssh::Prompts{},
                                                               "run-1", path);
        dialog->setDestinationParent(QString::fromStdString(exports.string()));
        dialog->setModelOnly(model_only);
        return dialog;
    };
    auto model = run_export(true);
    EXPECT_EQ(model->targetPath().toStdString(), (exports / "checkpoint-10-model").string());
    ASSERT_TRUE(model->exportButton()->isEnabled());
    model->exportButton()->click();
    ASSERT_TRUE(wait_until([&] { return !model->running(); }));
    ASSERT_TRUE(model->succeeded()) << model->resultText().toStdString();
    EXPECT_EQ(model->progressBar()->value(), model->progressBar()->maximum());
    EXPECT_TRUE(fs::exists(exports / "checkpoint-10-model" / "model.safetensors"));
    EXPECT_TRUE(fs::exists(exports / "checkpoint-10-model" / "tokenizer.json"));
    EXPECT_FALSE(fs::exists(exports / "checkpoint-10-model" / "optimizer.pt"));
    EXPECT_FALSE(fs::exists(exports / "checkpoint-10-model" / "trainer_state.json"));
    EXPECT_FALSE(model->exportButton()->isEnabled());  // done; the target exists now

    auto full = run_export(false);
    full->startExport();
    ASSERT_TRUE(wait_until([&] { return !full->running(); }));
    ASSERT_TRUE(full->succeeded()) << full->resultText().toStdString();
    EXPECT_TRUE(fs::exists(exports / "checkpoint-10" / "optimizer.pt"));
    EXPECT_TRUE(fs::exists(exports / "checkpoint-10" / "trainer_state.json"));

    // A second model-only export into the same folder is refused before it starts.
    auto again = run_export(true);
    EXPECT_FALSE(again->exportButton()->isEnabled());

    // A path that is not one of the run's checkpoints (the UI thread's word is not trusted).
    auto stranger = std::make_unique<CheckpointExportDialog>(
        fx.paths, remote::ssh::Prompts{}, "run-1", QString::fromStdString(fx.dir.string()));
    stranger->setDestinationParent(QString::fromStdString((fx.dir / "elsewhere").string()));
    stranger->startExport();
    ASSERT_TRUE(wait_until([&] { return !stranger->running(); }));
    EXPECT_FALSE(stranger->succeeded());
    EXPECT_TRUE(stranger->resultText().contains("is not a present checkpoint of run run-1"))
        << stranger->resultText().toStdString();
    EXPECT_FALSE(fs::exists(fx.dir / "elsewhere" / fx.dir.filename()));
}

TEST(CheckpointBrowser, DeleteOfAPathNotInTheRegistryIsRefused) {
    BrowserFixture fx("ckpt-delete-foreign");
    const std::string other = fx.make_checkpoint_folder(fx.dir / "elsewhere", 5);
    RegistryWatcherThread worker(fx.options());
    QSignalSpy actions(worker.watcher(), &RegistryWatcher::actionFinished);
    worker.start();
    QMetaObject::invokeMethod(worker.watcher(), "requestDeleteCheckpoint", Q_ARG(QString, "run-1"),
                              Q_ARG(QString, QString::fromStdString(other)));
    ASSERT_TRUE(wait_until([&] { return actions.count() == 1; }));
    const auto result = actions.at(0).at(0).value<ActionResult>();
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(result.message.contains("not a checkpoint of run run-1"));
    EXPECT_TRUE(fs::exists(other));
}

TEST(CheckpointBrowser, ResumeOfAnImportedRunWithoutConfigShowsWhy) {
    tests::RunsFixture fx("ckpt-resume-imported");
    const fs::path hf = fx.dir / "hf-output";
    const std::string c12 = fx.make_checkpoint_folder(hf, 12);
    auto run = fx.add_run("imported-1", RunStatus::finished, 1000, "imported");
    // The importer records the source folder as the run's config.
    fx.registry->remove_run("imported-1");
    run.config = {{"import_source", hf.string()}};
    fx.registry->insert_run(run);
    fx.registry->upsert_checkpoint("imported-1", checkpoint(12, c12, 0.4, true));

    CheckpointBrowser browser;
    RegistryWatcherThread worker(fx.options());
    browser.attach(worker.watcher());
    QSignalSpy created(&browser, &CheckpointBrowser::runCreated);
    worker.start();
    browser.setRunId("imported-1");
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 1; }));
    browser.selectStep(12);
    browser.resumeAction()->trigger();
    ASSERT_TRUE(
        wait_until([&] { return browser.messageLabel()->text().startsWith("Could not resume"); }));
    EXPECT_TRUE(browser.messageLabel()->text().contains("--config"))
        << browser.messageLabel()->text().toStdString();
    EXPECT_EQ(created.count(), 0);
    EXPECT_EQ(fx.registry->list_runs().size(), 1u);  // no child registered
}

TEST(CheckpointBrowser, ResumeFailureOfALatheRunIsReported) {
    BrowserFixture fx("ckpt-resume-lathe");
    ShownBrowser shown(fx);
    CheckpointBrowser& browser = shown.browser;
    ASSERT_TRUE(wait_until([&] { return browser.model()->rowCount() == 3; }));
    browser.selectStep(10);
    browser.resumeAction()->trigger();
    // The fake run has no run.json to continue with: an error, not a crash or a child run.
    ASSERT_TRUE(
        wait_until([&] { return browser.messageLabel()->text().startsWith("Could not resume"); }));
    EXPECT_EQ(fx.registry->list_runs().size(), 1u);
}

}  // namespace
}  // namespace lathe::ui::runs
