// The Hosts view against a real sshd on 127.0.0.1: the monitor probes this machine and an added
// host on its own thread (facts, per-GPU table, the runs on each host), an unknown host key is
// asked about in a dialog showing its fingerprint and recorded only on "Yes", and "Install on
// host" uploads this very source tree, builds it on the node and installs it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <QApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QThread>
#include <QTimer>

#include <nlohmann/json.hpp>

#include "core/registry/registry.h"
#include "remote/runs/remote_host.h"
#include "remote/ssh/shell_quote.h"
#include "tests/remote/support/sshd_server.h"
#include "tests/test_support.h"
#include "tests/ui/runs/qt_app.h"
#include "ui/hosts/host_editor_dialog.h"
#include "ui/hosts/hosts_monitor.h"
#include "ui/hosts/hosts_view.h"
#include "ui/hosts/install_dialog.h"
#include "ui/hosts/window_prompts.h"

namespace lathe::ui::hosts {
namespace {

namespace fs = std::filesystem;
using tests::wait_until;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The monitor in its own thread, as the window runs it, feeding a HostsView.
class MonitorRig {
  public:
    MonitorRig(core::run_manager::LathePaths paths, remote::ssh::Prompts prompts) {
        MonitorOptions options;
        options.paths = std::move(paths);
        options.interval_ms = 500;
        options.backoff_ms = 500;
        options.ssh_config_path = "/nonexistent-ssh-config";  // only what the test adds
        monitor = new HostsMonitor(options, std::move(prompts));
        monitor->moveToThread(&thread);
        QObject::connect(&thread, &QThread::started, monitor, &HostsMonitor::start);
        QObject::connect(monitor, &HostsMonitor::hostsUpdated, &view, &HostsView::set_snapshot);
        QObject::connect(monitor, &HostsMonitor::actionFinished, &view,
                         [this](const HostAction& a) {
                             view.show_action(a);
                             actions.push_back(a);
                         });
        thread.start();
    }
    ~MonitorRig() {
        QMetaObject::invokeMethod(monitor, &HostsMonitor::shutdown, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
        delete monitor;
    }
    const HostRow* row(const QString& name) const {
        for (const auto& r : view.snapshot().hosts) {
            if (r.name == name) {
                return &r;
            }
        }
        return nullptr;
    }
    void test(const QString& name) {
        QMetaObject::invokeMethod(monitor, "testHost", Qt::QueuedConnection, Q_ARG(QString, name));
    }
    std::optional<HostAction> last(const QString& action) const {
        for (auto it = actions.rbegin(); it != actions.rend(); ++it) {
            if (it->action == action) {
                return *it;
            }
        }
        return std::nullopt;
    }

    QThread thread;
    HostsMonitor* monitor = nullptr;
    HostsView view;
    std::vector<HostAction> actions;
};

class Hosts : public ::testing::Test {
  protected:
    void SetUp() override {
        tests::qt_app();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = tests::temp_dir(std::string("hosts-") + info->name());
        paths_.registry_path = (dir_ / "registry.sqlite3").string();
        paths_.runs_root = (dir_ / "runs").string();
        paths_.trainer_program = LATHE_TRAIN_BINARY;
        fs::create_directories(paths_.runs_root);
        registry_.emplace(core::registry::Registry::open({paths_.registry_path}));
        server_ = std::make_unique<tests::SshdServer>(std::string("hosts-") + info->name());
    }

    // The test's sshd as host `name`, with the real lathe-train as its worker.
    remote::runs::RemoteHost node(const std::string& name) const {
        remote::runs::RemoteHost host;
        host.name = name;
        host.ssh = server_->target();
        host.worker_command = remote::ssh::shell_quote(LATHE_TRAIN_BINARY);
        host.runs_dir = (server_->dir() / "node-runs").string();
        return host;
    }

    // The first visible modal question with this object name, or nullptr.
    template <typename T>
    static T* dialog(const char* name) {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            if (w->objectName() == QLatin1String(name) && w->isVisible()) {
                return qobject_cast<T*>(w);
            }
        }
        return nullptr;
    }

    fs::path dir_;
    core::run_manager::LathePaths paths_;
    std::optional<core::registry::Registry> registry_;
    std::unique_ptr<tests::SshdServer> server_;
};

TEST(HostRows, UsageSummaryShowsEachGpuAndFreeMemory) {
    HostRow row;
    row.name = "gpu1";
    EXPECT_EQ(usage_summary(row), "");
    row.error = "host gpu1: no answer within 5000 ms";
    EXPECT_EQ(usage_summary(row), "gpu1: host gpu1: no answer within 5000 ms");
    remote::hosts::HostFacts facts;
    facts.gpus.push_back({0, "NVIDIA H200", 40960, 143360, 87, 61});
    facts.gpus.push_back({1, "NVIDIA H200", -1, 143360, -1, -1});
    facts.memory_total_bytes = 32LL << 30;
    facts.memory_available_bytes = 12LL << 30;
    row.facts = facts;
    row.error.clear();
    EXPECT_EQ(usage_summary(row).toStdString(),
              "gpu1: GPU 0 NVIDIA H200 87% · 40.0 / 140.0 GiB · 61 °C; GPU 1 NVIDIA H200 ?% · ? / "
              "140.0 GiB; memory 12.0 GiB free of 32.0 GiB");
    EXPECT_EQ(gpus_summary(row), "2 x NVIDIA H200, 87% busy");
    row.facts->gpus.clear();
    row.facts->gpu_error = "nvidia-smi: not found";
    EXPECT_EQ(gpus_summary(row), "none");
    EXPECT_TRUE(usage_summary(row).startsWith("gpu1: no GPU (nvidia-smi: not found); memory"));
    EXPECT_EQ(host_of_run_target("ssh:gpu1"), "gpu1");
    EXPECT_EQ(host_of_run_target("slurm:login"), "login");
    EXPECT_EQ(host_of_run_target("local"), kThisMachine);
}

TEST(HostEditor, NamesTheBadFieldAndSavesAValidHost) {
    tests::qt_app();
    HostEditorDialog dialog;
    auto* save = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Save);
    EXPECT_FALSE(save->isEnabled());  // no name yet
    dialog.field("name")->setText("gpu 1");
    EXPECT_FALSE(save->isEnabled());
    EXPECT_NE(dialog.error().indexOf("host name 'gpu 1'"), -1) << dialog.error().toStdString();
    dialog.field("name")->setText("gpu1");
    dialog.field("runs_dir")->setText("");
    EXPECT_FALSE(save->isEnabled());
    EXPECT_NE(dialog.error().indexOf("field 'runs_dir' is empty"), -1)
        << dialog.error().toStdString();
    dialog.field("runs_dir")->setText("/scratch/lathe");
    dialog.field("host")->setText("gpu1.lab");
    dialog.port()->setValue(2222);
    EXPECT_TRUE(save->isEnabled()) << dialog.error().toStdString();
    QString saved;
    QObject::connect(&dialog, &HostEditorDialog::saveRequested,
                     [&](const QString& spec) { saved = spec; });
    save->click();
    const auto spec = nlohmann::json::parse(saved.toStdString());
    EXPECT_EQ(spec["name"], "gpu1");
    EXPECT_EQ(spec["host"], "gpu1.lab");
    EXPECT_EQ(spec["port"], 2222);
    EXPECT_EQ(spec["runs_dir"], "/scratch/lathe");
    EXPECT_EQ(spec["worker_command"], "lathe-train");
}

TEST_F(Hosts, TheMonitorShowsThisMachineAndAnAddedHostWithGpusAndRuns) {
    tests::put_two_gpus_on_path(dir_);
    registry_->put_host("node", remote::runs::to_json(node("node")));
    core::registry::RunRecord run;
    run.id = "run-on-node";
    run.name = "remote-one";
    run.status = core::registry::RunStatus::finished;
    run.target = "ssh:node";
    run.run_dir = (dir_ / "runs" / "run-on-node").string();
    run.created_at = 1;
    registry_->insert_run(run);

    MonitorRig rig(paths_, {});
    rig.view.show();
    ASSERT_TRUE(wait_until(
        [&] {
            const auto* local = rig.row(kThisMachine);
            const auto* remote = rig.row("node");
            return local && local->state == "ok" && remote && remote->state == "ok";
        },
        30000));
    // This machine: the GPUs nvidia-smi reported, one table row each.
    ASSERT_TRUE(rig.view.select_host(kThisMachine));
    auto* gpus = rig.view.gpus_table();
    ASSERT_EQ(gpus->rowCount(), 2);
    EXPECT_EQ(gpus->item(0, 1)->text(), "NVIDIA H200");
    EXPECT_EQ(gpus->item(0, 2)->text(), "87%");
    EXPECT_EQ(gpus->item(0, 3)->text(), "40123 MiB");
    EXPECT_EQ(gpus->item(1, 5)->text(), "34 °C");
    EXPECT_FALSE(rig.view.install_button()->isEnabled());
    // The added host: its worker answered --version; its run is listed.
    ASSERT_TRUE(rig.view.select_host("node"));
    const auto* remote = rig.row("node");
    ASSERT_TRUE(remote->facts.has_value());
    EXPECT_EQ(remote->facts->worker_version.rfind("lathe-train 0.1.0", 0), 0u)
        << remote->facts->worker_version;
    EXPECT_GE(remote->facts->cpu_count, 1);
    EXPECT_NE(rig.view.details()->text().indexOf("CPUs:"), -1);
    ASSERT_EQ(rig.view.runs_table()->rowCount(), 1);
    EXPECT_EQ(rig.view.runs_table()->item(0, 0)->text(), "run-on-node");
    EXPECT_TRUE(rig.view.install_button()->isEnabled());
    EXPECT_TRUE(rig.view.remove_button()->isEnabled());

    // Probed again and again: the time of the facts moves on.
    const double first = rig.row("node")->probed_at;
    ASSERT_TRUE(wait_until([&] { return rig.row("node")->probed_at > first; }, 15000));

    // A host whose sshd is gone: failed, with a message naming it; the others carry on.
    server_.reset();
    ASSERT_TRUE(wait_until([&] { return rig.row("node")->state == "failed"; }, 30000));
    EXPECT_NE(rig.row("node")->error.indexOf("node"), -1) << rig.row("node")->error.toStdString();
    EXPECT_TRUE(rig.row("node")->facts.has_value());  // the last good facts stay
    EXPECT_EQ(rig.row(kThisMachine)->state, "ok");
}

TEST_F(Hosts, SaveAndRemoveGoThroughTheMonitorAndABadSpecIsRefusedNamingTheField) {
    MonitorRig rig(paths_, {});
    nlohmann::json bad = remote::runs::to_json(node("node"));
    bad["port"] = 70000;
    QMetaObject::invokeMethod(rig.monitor, "saveHost", Qt::QueuedConnection,
                              Q_ARG(QString, QString::fromStdString(bad.dump())));
    ASSERT_TRUE(wait_until([&] { return rig.last("save").has_value(); }));
    EXPECT_FALSE(rig.last("save")->ok);
    EXPECT_NE(rig.last("save")->message.indexOf("field 'port' is 70000"), -1)
        << rig.last("save")->message.toStdString();
    EXPECT_FALSE(registry_->find_host("node").has_value());

    QMetaObject::invokeMethod(
        rig.monitor, "saveHost", Qt::QueuedConnection,
        Q_ARG(QString, QString::fromStdString(remote::runs::to_json(node("node")).dump())));
    ASSERT_TRUE(
        wait_until([&] { return rig.row("node") && rig.row("node")->state == "ok"; }, 30000));
    EXPECT_TRUE(registry_->find_host("node").has_value());
    QMetaObject::invokeMethod(rig.monitor, "removeHost", Qt::QueuedConnection,
                              Q_ARG(QString, QStringLiteral("node")));
    ASSERT_TRUE(wait_until([&] { return rig.row("node") == nullptr; }));
    EXPECT_FALSE(registry_->find_host("node").has_value());
}

// Answers the next unknown-host-key question. The dialog runs its own event loop (exec()) inside
// whatever event processing showed it, so the answer must come from a timer inside that loop.
struct KeyQuestionAnswerer {
    explicit KeyQuestionAnswerer(QMessageBox::StandardButton answer) {
        QObject::connect(&timer, &QTimer::timeout, [this, answer] {
            for (QWidget* w : QApplication::topLevelWidgets()) {
                auto* box = qobject_cast<QMessageBox*>(w);
                if (box != nullptr && box->objectName() == "unknown-host-key" && box->isVisible()) {
                    text = box->text();
                    informative = box->informativeText();
                    ++asked;
                    timer.stop();
                    box->button(answer)->click();
                    return;
                }
            }
        });
        timer.start(20);
    }
    QTimer timer;
    QString text, informative;
    int asked = 0;
};

TEST_F(Hosts, AnUnknownHostKeyIsAskedWithItsFingerprintAndRecordedOnlyOnYes) {
    WindowPrompts prompts(nullptr);
    auto fresh = node("fresh");
    fresh.ssh.known_hosts_path = (dir_ / "known_hosts").string();  // knows nothing yet
    registry_->put_host("fresh", remote::runs::to_json(fresh));
    {
        // No: refused, nothing recorded, and not asked again by the periodic probes.
        KeyQuestionAnswerer no(QMessageBox::No);
        MonitorRig rig(paths_, prompts.prompts());
        ASSERT_TRUE(wait_until([&] { return no.asked == 1; }, 30000));
        EXPECT_NE(no.text.indexOf("127.0.0.1:" + QString::number(server_->port())), -1)
            << no.text.toStdString();
        EXPECT_NE(no.informative.indexOf(QString::fromStdString(server_->host_key_fingerprint())),
                  -1)
            << no.informative.toStdString();
        ASSERT_TRUE(wait_until(
            [&] { return rig.row("fresh") && rig.row("fresh")->state == "failed"; }, 30000));
        EXPECT_NE(rig.row("fresh")->error.indexOf("SHA256:"), -1)
            << rig.row("fresh")->error.toStdString();
        EXPECT_EQ(read_text(dir_ / "known_hosts"), "");
        KeyQuestionAnswerer watch(QMessageBox::No);
        QTest::qWait(1500);  // several probe intervals (with backoff)
        EXPECT_EQ(watch.asked, 0);

        // Test connection asks again (the window forgets refusals first); Yes records the key.
        watch.timer.stop();
        KeyQuestionAnswerer yes(QMessageBox::Yes);
        prompts.forget_refusals();
        rig.test("fresh");
        ASSERT_TRUE(wait_until([&] { return rig.last("test").has_value(); }, 30000));
        EXPECT_EQ(yes.asked, 1);
        EXPECT_TRUE(rig.last("test")->ok) << rig.last("test")->message.toStdString();
        EXPECT_EQ(rig.row("fresh")->state, "ok");
    }
    EXPECT_NE(read_text(dir_ / "known_hosts").find("127.0.0.1"), std::string::npos);
}

TEST_F(Hosts, ClosedPromptsAnswerNoSoWorkerThreadsCanStop) {
    WindowPrompts prompts(nullptr);
    auto fresh = node("fresh");
    fresh.ssh.known_hosts_path = (dir_ / "known_hosts").string();
    registry_->put_host("fresh", remote::runs::to_json(fresh));
    MonitorRig rig(paths_, prompts.prompts());
    // The window closes while the question is open: the monitor's thread gets "no" at once,
    // although the dialog (its loop running here) is still up.
    QTimer close_then_answer;
    QMessageBox* open = nullptr;
    QObject::connect(&close_then_answer, &QTimer::timeout, [&] {
        if (open == nullptr) {
            open = dialog<QMessageBox>("unknown-host-key");
            if (open != nullptr) {
                prompts.close();
            }
        } else if (rig.row("fresh") && rig.row("fresh")->state == "failed") {
            close_then_answer.stop();
            open->button(QMessageBox::Yes)->click();  // too late: nobody waits for it
        }
    });
    close_then_answer.start(20);
    ASSERT_TRUE(wait_until([&] { return !close_then_answer.isActive(); }, 30000));
    EXPECT_EQ(read_text(dir_ / "known_hosts"), "");
}

TEST_F(Hosts, InstallOnHostBuildsThisSourceOnTheNodeAndInstallsIt) {
    registry_->put_host("node", remote::runs::to_json(node("node")));
    InstallRequest request;
    request.host = "node";
    request.options.prefix = (server_->dir() / "prefix").string();
    // A copy of this source tree (what git knows of it), so that the test can change a file.
    const fs::path source = dir_ / "source";
    fs::create_directories(source);
    const auto copied = tests::run_command(
        "cd " + remote::ssh::shell_quote(LATHE_SOURCE_TREE) +
        " && if [ -e .git ]; then git ls-files -z --cached --others --exclude-standard |"
        " tar --null -T - --ignore-failed-read -cf -; else tar --exclude=./build* -cf - .; fi |"
        " tar -xf - -C " +
        remote::ssh::shell_quote(source.string()));
    ASSERT_EQ(copied.exit_code, 0) << copied.output;
    request.options.source_dir = source.string();
    // Only the supervisor (no libtorch): the whole mechanism in a minute of build time. The
    // full worker install takes ~10 minutes here: LATHE_TEST_INSTALL_WORKER=1 runs it.
    const bool worker = std::getenv("LATHE_TEST_INSTALL_WORKER") != nullptr;
    request.options.targets = worker ? "lathe-train lathe-supervisor" : "lathe-supervisor";
    InstallDialog install(paths_, request, {});
    install.show();
    install.start();
    ASSERT_TRUE(wait_until([&] { return !install.running(); }, 900000))
        << install.phase().toStdString();
    ASSERT_TRUE(install.succeeded()) << install.result_text().toStdString() << "\n"
                                     << install.log_text().toStdString();
    EXPECT_EQ(install.phase(), "installed");
    const fs::path installed = server_->dir() / "prefix" / "bin" / "lathe-supervisor";
    ASSERT_TRUE(fs::exists(installed));
    const auto version = tests::run_command(installed.string() + " --version");
    EXPECT_EQ(version.output.rfind("lathe-supervisor 0.1.0", 0), 0u) << version.output;
    EXPECT_NE(install.log_text().indexOf("source uploaded"), -1);
    EXPECT_NE(install.log_text().indexOf("setup: all"), -1) << install.log_text().toStdString();
    EXPECT_NE(install.log_text().indexOf("lathe-supervisor"), -1);
    if (worker) {
        // The host now runs what was installed, and the probe's version check passes.
        const auto bin = server_->dir() / "prefix" / "bin";
        EXPECT_EQ(registry_->find_host("node")->at("worker_command"),
                  remote::ssh::shell_quote((bin / "lathe-train").string()));
        const auto train = tests::run_command((bin / "lathe-train").string() + " --version");
        EXPECT_EQ(train.output.rfind("lathe-train 0.1.0", 0), 0u) << train.output;
        MonitorRig rig(paths_, {});
        ASSERT_TRUE(
            wait_until([&] { return rig.row("node") && rig.row("node")->state == "ok"; }, 60000));
        EXPECT_EQ(rig.row("node")->facts->worker_version.rfind("lathe-train 0.1.0", 0), 0u);
    } else {
        // The host keeps its commands: lathe-train was not part of this install.
        EXPECT_EQ(registry_->find_host("node")->at("worker_command"),
                  remote::ssh::shell_quote(LATHE_TRAIN_BINARY));
    }
    // The log stays on this machine, beside the registry.
    bool log_found = false;
    for (const auto& e : fs::directory_iterator(dir_ / "hosts" / "node")) {
        log_found = log_found || read_text(e.path()).find("installed") != std::string::npos;
    }
    EXPECT_TRUE(log_found);

    // Again: the same source is not uploaded twice and the build has nothing to do.
    InstallDialog again(paths_, request, {});
    again.start();
    ASSERT_TRUE(wait_until([&] { return !again.running(); }, 300000));
    ASSERT_TRUE(again.succeeded()) << again.result_text().toStdString();
    EXPECT_NE(again.log_text().indexOf("the node already has this source"), -1)
        << again.log_text().toStdString();
    EXPECT_NE(again.log_text().indexOf("source: 0 file(s) new or changed, 0 removed"), -1)
        << again.log_text().toStdString();
    EXPECT_NE(again.log_text().indexOf("no work to do"), -1) << again.log_text().toStdString();

    // One file changed: it alone is copied, and only what depends on it is rebuilt.
    std::ofstream(source / "app" / "lathe_supervisor" / "main.cpp", std::ios::app)
        << "// changed by the install test\n";
    InstallDialog changed(paths_, request, {});
    changed.start();
    ASSERT_TRUE(wait_until([&] { return !changed.running(); }, 300000));
    ASSERT_TRUE(changed.succeeded()) << changed.result_text().toStdString();
    EXPECT_NE(changed.log_text().indexOf("source uploaded"), -1);
    EXPECT_NE(changed.log_text().indexOf("source: 1 file(s) new or changed, 0 removed"), -1)
        << changed.log_text().toStdString();
    EXPECT_NE(changed.log_text().indexOf("[2/2] Linking CXX executable app/lathe-supervisor"), -1)
        << changed.log_text().toStdString();
}

TEST_F(Hosts, InstallWithoutASourceTreeFailsNamingTheFolder) {
    registry_->put_host("node", remote::runs::to_json(node("node")));
    InstallRequest request;
    request.host = "node";
    request.options.source_dir = (dir_ / "no-source").string();
    InstallDialog install(paths_, request, {});
    install.start();
    ASSERT_TRUE(wait_until([&] { return !install.running(); }, 60000));
    EXPECT_FALSE(install.succeeded());
    EXPECT_TRUE(install.result_text().contains(QStringLiteral("no Lathe source tree at '") +
                                               QString::fromStdString(request.options.source_dir)))
        << install.result_text().toStdString();
}

}  // namespace
}  // namespace lathe::ui::hosts
