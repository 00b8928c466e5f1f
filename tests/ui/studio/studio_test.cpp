// The studio window end to end, offscreen, with real detached lathe-train runs, a real registry
// and real QCustomPlot charts: launch from the New Run dialog, watch the loss chart fill, resume
// from the checkpoint browser, and render a window with a finished and a running run.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include <QAbstractItemModel>
#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>

#include <nlohmann/json.hpp>

#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_metadata.h"
#include "tests/test_support.h"
#include "ui/dashboard/metric_chart.h"
#include "ui/hosts/hosts_view.h"
#include "ui/run_form/dataset_picker.h"
#include "ui/run_form/model_picker.h"
#include "ui/run_form/new_run_dialog.h"
#include "ui/run_form/training_arguments_form.h"
#include "ui/runs/checkpoint_browser.h"
#include "ui/runs/runs_filter_proxy.h"
#include "ui/runs/runs_table_model.h"
#include "ui/runs/runs_view.h"
#include "ui/studio/dashboard_panel.h"
#include "ui/studio/main_window.h"

namespace lathe::ui::studio {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

QApplication& app() {
    // Never destroyed: a static QApplication crashes at exit after the windows are gone.
    static int argc = 1;
    static char name[] = "test_ui_studio";
    static char* argv[] = {name, nullptr};
    static QApplication* instance = [] {
        QStandardPaths::setTestModeEnabled(true);
        return new QApplication(argc, argv);
    }();
    return *instance;
}

bool wait_until(const std::function<bool()>& done, int timeout_ms = 120000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        QTest::qWait(20);
    }
    return true;
}

class Studio : public ::testing::Test {
  protected:
    void SetUp() override {
        app();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        home_ = tests::temp_dir(std::string("studio-") + info->name());
        paths_.registry_path = (home_ / "registry.sqlite3").string();
        paths_.runs_root = (home_ / "runs").string();
        ::setenv("LATHE_TRAIN", LATHE_TRAIN_BINARY, 1);
        ::setenv("LATHE_SUPERVISOR", LATHE_SUPERVISOR_BINARY, 1);
        ::setenv("LATHE_CLI", LATHE_CLI_BINARY, 1);
        corpus_ = home_ / "corpus.txt";
        std::ofstream corpus(corpus_);
        for (int i = 0; i < 300; ++i)
            corpus << "Paragraph " << i << ": the quick brown fox jumps over the lazy dog.\n\n";
    }
    void TearDown() override {
        core::run_manager::RunManager manager(paths_);
        for (const auto& run : manager.registry().list_runs()) {
            if (run.status == core::registry::RunStatus::running ||
                run.status == core::registry::RunStatus::starting) {
                try {
                    manager.kill(run.id);
                } catch (const std::exception&) {
                }
            }
        }
    }

    json run_json(json args) const {
        json base = {{"per_device_train_batch_size", 4},
                     {"learning_rate", 1e-3},
                     {"logging_steps", 1},
                     {"eval_strategy", "steps"},
                     {"eval_steps", 4},
                     {"save_steps", 4},
                     {"seed", 1}};
        base.update(args);
        return {{"name", "studio-test"},
                {"model",
                 {{"preset", "gpt2-tiny"},
                  {"config_overrides",
                   {{"n_embd", 32}, {"n_layer", 1}, {"n_head", 2}, {"n_positions", 64}}}}},
                {"tokenizer", {{"byte_level", true}}},
                {"dataset", {{"train_files", {corpus_.string()}}, {"block_size", 32}}},
                {"training_args", base}};
    }

    std::string start(json args) {
        core::run_manager::RunManager manager(paths_);
        const auto prepared =
            core::run_manager::prepare_run_json(run_json(std::move(args)), "test", {});
        return manager.submit(prepared, {}).id;
    }

    core::registry::RunRecord record(const std::string& id) {
        core::run_manager::RunManager manager(paths_);
        manager.reconcile();
        return manager.registry().get_run(id);
    }

    static int row_of(MainWindow& w, const QString& id) {
        return w.runs_view()->model()->rowOf(id);
    }

    fs::path home_;
    fs::path corpus_;
    core::run_manager::LathePaths paths_;
};

TEST_F(Studio, LaunchFromTheDialogShowsTheRunAndItsLossChartFillsUntilFinished) {
    MainWindow window(paths_);
    window.show();
    auto* dialog = qobject_cast<run_form::NewRunDialog*>(window.open_new_run_dialog());
    ASSERT_NE(dialog, nullptr);
    dialog->set_name("from-dialog");
    dialog->model_picker()->set_preset("gpt2-tiny");
    dialog->dataset_picker()->set_train_files({QString::fromStdString(corpus_.string())});
    dialog->training_form()->set_values({{"max_steps", 12},
                                         {"logging_steps", 1},
                                         {"save_steps", 6},
                                         {"per_device_train_batch_size", 2},
                                         {"eval_strategy", "steps"},
                                         {"eval_steps", 12}});
    // A sample at each evaluation, from the Samples tab.
    core::run::SampleSpec sample;
    sample.prompt = "Q: why";
    sample.max_new_tokens = 6;
    dialog->sample_editor()->set_spec(sample);
    // Two data-parallel processes on this machine, chosen in the dialog's "Where" row.
    dialog->target_picker()->processes_box()->setValue(2);
    ASSERT_TRUE(wait_until([&] { return dialog->launch_button()->isEnabled(); }, 20000))
        << dialog->problem().toStdString();
    QTest::mouseClick(dialog->launch_button(), Qt::LeftButton);

    // The run appears in the list (from the registry, through the watcher thread) and is
    // selected; its loss chart gains points while it trains.
    QString id;
    ASSERT_TRUE(wait_until([&] {
        const auto ids = window.runs_view()->selectedRunIds();
        if (ids.size() == 1)
            id = ids.front();
        return !id.isEmpty();
    }));
    ASSERT_TRUE(wait_until([&] {
        auto* loss = window.dashboard()->chart("loss");
        return loss != nullptr && loss->stored_point_count() >= 3;
    }));
    ASSERT_TRUE(wait_until([&] {
        return window.dashboard()->status_label()->text().startsWith("finished");
    })) << window.dashboard()->status_label()->text().toStdString();
    EXPECT_EQ(record(id.toStdString()).global_step, 12);
    // "finished, epoch E" with the epoch of the run's last logged loss.
    const auto losses =
        core::run_manager::RunManager(paths_).registry().metric_series(id.toStdString(), "loss");
    ASSERT_FALSE(losses.empty());
    ASSERT_TRUE(losses.back().epoch.has_value());
    const QString epoch = QStringLiteral("finished, epoch %1").arg(*losses.back().epoch, 0, 'f', 2);
    EXPECT_TRUE(wait_until([&] {
        return window.dashboard()->status_label()->text().startsWith(epoch);
    })) << window.dashboard()->status_label()->text().toStdString()
        << " vs " << epoch.toStdString();
    ASSERT_TRUE(
        wait_until([&] { return window.dashboard()->chart("loss")->stored_point_count() >= 12; }));
    const auto run_dir = std::filesystem::path(record(id.toStdString()).run_dir);
    EXPECT_EQ(core::run_manager::read_run_metadata(run_dir.string()).processes, 2);
    EXPECT_TRUE(std::filesystem::exists(run_dir / "ranks" / "rank-1.stdout.log"));
    // The sample of the evaluation at step 12, its prompt once.
    ASSERT_TRUE(wait_until([&] { return !window.dashboard()->sample_text().isEmpty(); }));
    const QString shown = window.dashboard()->sample_text();
    EXPECT_TRUE(shown.startsWith("step 12: Q: why")) << shown.toStdString();
    EXPECT_EQ(shown.count("Q: why"), 1) << shown.toStdString();
}

TEST_F(Studio, ResumeFromTheCheckpointBrowserCreatesAChildThatContinues) {
    const std::string parent = start({{"max_steps", 8}});
    ASSERT_TRUE(
        wait_until([&] { return record(parent).status == core::registry::RunStatus::finished; }));
    MainWindow window(paths_);
    window.show();
    ASSERT_TRUE(wait_until([&] { return row_of(window, QString::fromStdString(parent)) >= 0; }));
    window.runs_view()->selectRun(QString::fromStdString(parent));
    auto* browser = window.checkpoints();
    ASSERT_TRUE(wait_until([&] { return browser->selectStep(4), browser->currentRow() >= 0; }));
    ASSERT_TRUE(browser->resumeAction()->isEnabled());
    browser->resumeAction()->trigger();
    std::string child;
    ASSERT_TRUE(wait_until([&] {
        core::run_manager::RunManager manager(paths_);
        for (const auto& run : manager.registry().list_runs()) {
            if (run.parent_run_id == parent)
                child = run.id;
        }
        return !child.empty();
    }));
    ASSERT_TRUE(
        wait_until([&] { return record(child).status == core::registry::RunStatus::finished; }));
    const auto done = record(child);
    EXPECT_EQ(done.global_step, 8);
    EXPECT_NE(done.parent_checkpoint.find("checkpoint-4"), std::string::npos);

    // Parent and child compared: the child's curve starts at the parent's point at step 4.
    auto* selection = window.runs_view()->table()->selectionModel();
    selection->clearSelection();
    for (const auto& id : {parent, child}) {
        ASSERT_TRUE(wait_until([&] { return row_of(window, QString::fromStdString(id)) >= 0; }));
        selection->select(
            window.runs_view()->proxy()->mapFromSource(
                window.runs_view()->model()->index(row_of(window, QString::fromStdString(id)), 0)),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    double parent_at_4 = 0.0;
    {
        core::run_manager::RunManager manager(paths_);
        for (const auto& p : manager.registry().metric_series(parent, "loss")) {
            if (p.step == 4)
                parent_at_4 = p.value;
        }
    }
    ASSERT_TRUE(wait_until([&] {
        auto* loss = window.dashboard()->chart("loss");
        if (loss == nullptr)
            return false;
        for (const auto& v : loss->hover_at(4.0)) {
            if (v.run_id == QString::fromStdString(child))
                return v.step == 4;
        }
        return false;
    }));
    for (const auto& v : window.dashboard()->chart("loss")->hover_at(4.0)) {
        if (v.run_id == QString::fromStdString(child)) {
            EXPECT_DOUBLE_EQ(v.value, parent_at_4);
        }
    }
}

TEST_F(Studio, AnOutputFolderOpenedFromTheWindowBecomesARunWithItsCheckpoints) {
    // A Trainer output folder: the checkpoints of a finished run, copied elsewhere.
    const std::string trained = start({{"max_steps", 8}});
    ASSERT_TRUE(
        wait_until([&] { return record(trained).status == core::registry::RunStatus::finished; }));
    const fs::path folder = home_ / "hf-output";
    fs::create_directories(folder);
    {
        core::run_manager::RunManager manager(paths_);
        for (const auto& c : manager.registry().checkpoints(trained)) {
            fs::copy(c.path, folder / fs::path(c.path).filename(), fs::copy_options::recursive);
        }
    }
    MainWindow window(paths_);
    window.show();
    window.import_folder(QString::fromStdString(folder.string()));
    QString imported;
    ASSERT_TRUE(wait_until([&] {
        const auto ids = window.runs_view()->selectedRunIds();
        if (ids.size() == 1 && ids.front() != QString::fromStdString(trained))
            imported = ids.front();
        return !imported.isEmpty();
    }));
    EXPECT_EQ(window.tabs()->currentWidget(), window.checkpoints());
    ASSERT_TRUE(wait_until([&] {
        window.checkpoints()->selectStep(8);
        return window.checkpoints()->currentRow() >= 0;
    }));
    EXPECT_EQ(record(imported.toStdString()).kind, "imported");
    {
        core::run_manager::RunManager manager(paths_);
        EXPECT_EQ(manager.registry().checkpoints(imported.toStdString()).size(), 2u);
    }
    // The same folder again: refused with the registry's reason, nothing added.
    window.import_folder(QString::fromStdString(folder.string()));
    QMessageBox* refusal = nullptr;
    ASSERT_TRUE(wait_until(
        [&] {
            for (QWidget* w : QApplication::topLevelWidgets()) {
                if (auto* box = qobject_cast<QMessageBox*>(w); box != nullptr && box->isVisible())
                    refusal = box;
            }
            return refusal != nullptr;
        },
        20000));
    EXPECT_NE(refusal->text().indexOf("imported"), -1) << refusal->text().toStdString();
    refusal->close();
    EXPECT_EQ(window.runs_view()->model()->rowCount(), 2);
}

TEST_F(Studio, AWindowWithAFinishedAndARunningRunRendersItsCharts) {
    const std::string finished = start({{"max_steps", 6}});
    ASSERT_TRUE(
        wait_until([&] { return record(finished).status == core::registry::RunStatus::finished; }));
    const std::string running = start({{"max_steps", 100000}, {"save_strategy", "no"}});
    ASSERT_TRUE(wait_until([&] { return record(running).global_step >= 3; }));
    tests::put_two_gpus_on_path(home_);  // no GPU here: a stand-in nvidia-smi answers
    MainWindow window(paths_);
    window.resize(1400, 860);
    window.show();
    ASSERT_TRUE(wait_until([&] { return row_of(window, QString::fromStdString(running)) >= 0; }));
    window.runs_view()->selectRun(QString::fromStdString(running));
    ASSERT_TRUE(wait_until([&] {
        auto* loss = window.dashboard()->chart("loss");
        return loss != nullptr && loss->stored_point_count() >= 3;
    }));
    QTest::qWait(300);  // one throttled replot
    const QImage shot = window.grab().toImage();
    const fs::path png = home_ / "studio.png";
    ASSERT_TRUE(shot.save(QString::fromStdString(png.string())));
    // The loss chart's plot area holds curve pixels: colours that are neither the white
    // background nor the grey grid.
    const QImage chart = window.dashboard()->chart("loss")->grab().toImage();
    int coloured = 0;
    for (int y = 0; y < chart.height(); y += 2) {
        for (int x = 0; x < chart.width(); x += 2) {
            const QColor c = chart.pixelColor(x, y);
            if (c.saturation() > 80)
                ++coloured;
        }
    }
    EXPECT_GT(coloured, 20);
    EXPECT_EQ(window.runs_view()->model()->rowCount(), 2);

    // The run's host (this machine) shows its GPUs on the dashboard, from the hosts monitor.
    ASSERT_TRUE(wait_until([&] {
        return window.dashboard()->host_usage_label()->text().startsWith(
            "this machine: GPU 0 NVIDIA H200 87% · 39.2 / 140.4 GiB · 61 °C; GPU 1");
    })) << window.dashboard()->host_usage_label()->text().toStdString();
    EXPECT_TRUE(window.dashboard()->host_usage_label()->isVisible());
    // The Hosts page lists this machine with both GPUs and the two runs.
    window.pages()->setCurrentWidget(window.hosts_view());
    ASSERT_TRUE(window.hosts_view()->select_host("this machine"));
    EXPECT_EQ(window.hosts_view()->gpus_table()->rowCount(), 2);
    EXPECT_EQ(window.hosts_view()->runs_table()->rowCount(), 2);
    const QImage hosts_shot = window.grab().toImage();
    ASSERT_TRUE(hosts_shot.save(QString::fromStdString((home_ / "hosts.png").string())));

    // The New Run dialog offers this machine's GPUs with their free memory.
    auto* dialog = qobject_cast<run_form::NewRunDialog*>(window.open_new_run_dialog());
    ASSERT_NE(dialog, nullptr);
    EXPECT_TRUE(dialog->target_picker()->gpu_info_label()->text().startsWith(
        "GPU 0 NVIDIA H200 (101.2 GiB free, 87% busy); GPU 1 NVIDIA H200 (139.9 GiB free"))
        << dialog->target_picker()->gpu_info_label()->text().toStdString();
    dialog->close();

    // Both runs selected: the Config tab shows how the first (by id) differs from the second.
    // Ids start with their creation second, so two runs made in the same second order by their
    // random suffix: either may be the first.
    const bool finished_first = finished < running;
    const std::string second = finished_first ? running : finished;
    const QString max_steps_line = finished_first ? "training_args.max_steps: 100000 -> 6"
                                                  : "training_args.max_steps: 6 -> 100000";
    const QString save_strategy_line = finished_first
                                           ? "training_args.save_strategy: \"no\" -> "
                                           : "training_args.save_strategy: \"steps\" -> \"no\"";
    window.pages()->setCurrentIndex(0);
    auto* selection = window.runs_view()->table()->selectionModel();
    selection->clearSelection();
    for (const auto& id : {finished, running}) {
        const int row = row_of(window, QString::fromStdString(id));
        selection->select(
            window.runs_view()->proxy()->mapFromSource(window.runs_view()->model()->index(row, 0)),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    auto* config = qobject_cast<QPlainTextEdit*>(window.tabs()->widget(1));
    ASSERT_NE(config, nullptr);
    ASSERT_TRUE(wait_until([&] { return config->toPlainText().contains(max_steps_line); }))
        << config->toPlainText().toStdString();
    EXPECT_TRUE(config->toPlainText().startsWith(
        QStringLiteral("Against %1 (the other selected run)").arg(QString::fromStdString(second))));
    EXPECT_TRUE(config->toPlainText().contains(save_strategy_line))
        << config->toPlainText().toStdString();
}

}  // namespace
}  // namespace lathe::ui::studio
