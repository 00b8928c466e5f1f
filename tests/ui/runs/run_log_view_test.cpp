// RunLogView following stdout.log/stderr.log through the watcher.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/ui/runs/runs_fixture.h"
#include "ui/runs/registry_watcher_thread.h"
#include "ui/runs/run_log_view.h"

namespace lathe::ui::runs {
namespace {

namespace fs = std::filesystem;
using core::registry::RunStatus;
using tests::wait_until;

TEST(RunLogView, FollowsTheLogsByOffset) {
    tests::RunsFixture fx("log-follow");
    const auto run = fx.add_run("run-log", RunStatus::running, 1000);
    const fs::path out = fs::path(run.run_dir) / "stdout.log";
    std::ofstream(out) << "step 1 loss 2.0\n";

    RunLogView view;
    RegistryWatcherThread worker(fx.options());
    view.attach(worker.watcher());
    worker.start();
    view.setRunId("run-log");
    ASSERT_TRUE(wait_until([&] { return view.toPlainText().contains("step 1 loss 2.0"); }));

    std::ofstream(out, std::ios::app) << "step 2 loss 1.5\n";
    std::ofstream(fs::path(run.run_dir) / "stderr.log") << "warning: slow\n";
    ASSERT_TRUE(wait_until([&] {
        return view.toPlainText().contains("step 2 loss 1.5") &&
               view.toPlainText().contains("warning: slow");
    }));
    // Each byte once: the first line was not read again.
    EXPECT_EQ(view.toPlainText().count("step 1 loss 2.0"), 1);

    // A truncated log is shown again from its start.
    std::ofstream(out, std::ios::trunc) << "fresh\n";
    ASSERT_TRUE(wait_until([&] {
        return view.toPlainText().startsWith("fresh") || !view.toPlainText().contains("step 2");
    }));
    ASSERT_TRUE(wait_until([&] { return view.toPlainText().contains("fresh"); }));
    EXPECT_FALSE(view.toPlainText().contains("step 2"));

    // Another run: the view starts empty and shows nothing of the first.
    view.setRunId("");
    EXPECT_TRUE(view.toPlainText().isEmpty());
}

}  // namespace
}  // namespace lathe::ui::runs
