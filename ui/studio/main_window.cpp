#include "ui/studio/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QFile>
#include <QFileDialog>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QToolBar>

#include <filesystem>

#include "ui/dashboard/metric_chart.h"
#include "ui/dashboard/replot_throttle.h"
#include "ui/hosts/hosts_monitor.h"
#include "ui/hosts/hosts_view.h"
#include "ui/hosts/install_dialog.h"
#include "ui/hosts/window_prompts.h"
#include "ui/run_form/new_run_dialog.h"
#include "ui/runs/checkpoint_browser.h"
#include "ui/runs/checkpoint_export_dialog.h"
#include "ui/runs/registry_watcher_thread.h"
#include "ui/runs/run_log_view.h"
#include "ui/runs/runs_table_model.h"
#include "ui/runs/runs_view.h"
#include "ui/studio/dashboard_panel.h"
#include "ui/studio/metrics_feed.h"
#include "ui/studio/run_launcher.h"

namespace lathe::ui::studio {

namespace {

bool is_live(const QString& status) {
    return status == QStringLiteral("running") || status == QStringLiteral("starting");
}

}  // namespace

MainWindow::MainWindow(core::run_manager::LathePaths paths, QWidget* parent)
    : QMainWindow(parent), paths_(std::move(paths)) {
    runs::register_snapshot_types();
    register_studio_types();
    hosts::register_host_types();
    setWindowTitle(tr("Lathe"));
    prompts_ = new hosts::WindowPrompts(this);

    runs_view_ = new runs::RunsView(this);
    dashboard_ = new DashboardPanel(this);
    config_ = new QPlainTextEdit(this);
    config_->setReadOnly(true);
    logs_ = new runs::RunLogView(this);
    checkpoints_ = new runs::CheckpointBrowser(this);
    tabs_ = new QTabWidget(this);
    tabs_->addTab(dashboard_, tr("Dashboard"));
    tabs_->addTab(config_, tr("Config"));
    tabs_->addTab(logs_, tr("Logs"));
    tabs_->addTab(checkpoints_, tr("Checkpoints"));
    splitter_ = new QSplitter(this);
    splitter_->addWidget(runs_view_);
    splitter_->addWidget(tabs_);
    splitter_->setStretchFactor(1, 3);
    hosts_view_ = new hosts::HostsView(this);
    pages_ = new QTabWidget(this);
    pages_->setObjectName(QStringLiteral("pages"));
    pages_->setDocumentMode(true);
    pages_->addTab(splitter_, tr("Runs"));
    pages_->addTab(hosts_view_, tr("Hosts"));
    setCentralWidget(pages_);

    auto* toolbar = addToolBar(tr("Runs"));
    toolbar->setObjectName(QStringLiteral("runs-toolbar"));
    QAction* new_run = toolbar->addAction(tr("New run..."));
    connect(new_run, &QAction::triggered, this, [this] { open_new_run_dialog(); });
    QAction* open_folder = toolbar->addAction(tr("Open output folder..."));
    open_folder->setToolTip(
        tr("Import a Hugging Face Trainer output folder: its checkpoints and curves become a run"));
    connect(open_folder, &QAction::triggered, this, [this] {
        QSettings settings;
        const QString folder = QFileDialog::getExistingDirectory(
            this, tr("Trainer output folder (with checkpoint-N folders)"),
            settings.value(QStringLiteral("folders/import")).toString());
        if (folder.isEmpty())
            return;
        settings.setValue(QStringLiteral("folders/import"), folder);
        import_folder(folder);
    });

    // The registry watcher: runs list, checkpoints, logs, signals to runs.
    runs::WatcherOptions watcher_options;
    watcher_options.paths = paths_;
    watcher_options.prompts = prompts_->prompts();
    watcher_thread_ = new runs::RegistryWatcherThread(std::move(watcher_options), this);
    auto* watcher = watcher_thread_->watcher();
    runs_view_->attach(watcher);
    checkpoints_->attach(watcher);
    logs_->attach(watcher);
    connect(watcher, &runs::RegistryWatcher::runsUpdated, this, &MainWindow::on_snapshot);
    connect(watcher, &runs::RegistryWatcher::actionFinished, this,
            [this](const runs::ActionResult& result) {
                if (result.action != QLatin1String("import"))
                    return;
                if (!result.ok) {
                    // Window-modal but not blocking: the watcher's updates keep arriving.
                    auto* box =
                        new QMessageBox(QMessageBox::Warning, tr("Could not import the folder"),
                                        result.message, QMessageBox::Ok, this);
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->open();
                    return;
                }
                statusBar()->showMessage(result.message, 10000);
                pending_select_ = result.new_run_id;
                tabs_->setCurrentWidget(checkpoints_);
            });
    connect(watcher, &runs::RegistryWatcher::remoteProblems, this,
            [this](const QStringList& problems) {
                statusBar()->showMessage(
                    tr("Remote sync: %1").arg(problems.join(QStringLiteral("; "))), 15000);
            });
    connect(runs_view_, &runs::RunsView::selectionChangedRuns, checkpoints_,
            &runs::CheckpointBrowser::setSelectedRuns);
    connect(runs_view_, &runs::RunsView::selectionChangedRuns, logs_,
            &runs::RunLogView::setSelectedRuns);
    connect(runs_view_, &runs::RunsView::selectionChangedRuns, this, &MainWindow::select_runs);
    connect(checkpoints_, &runs::CheckpointBrowser::runCreated, runs_view_,
            &runs::RunsView::selectRun);
    connect(checkpoints_, &runs::CheckpointBrowser::forkRequested, this,
            &MainWindow::open_fork_dialog);
    connect(checkpoints_, &runs::CheckpointBrowser::exportRequested, this,
            &MainWindow::open_export_dialog);
    connect(dashboard_, &DashboardPanel::stopRequested, watcher,
            &runs::RegistryWatcher::requestStop);
    connect(dashboard_, &DashboardPanel::saveNowRequested, watcher,
            &runs::RegistryWatcher::requestSaveNow);
    connect(dashboard_, &DashboardPanel::killRequested, watcher,
            &runs::RegistryWatcher::requestKill);
    connect(dashboard_, &DashboardPanel::checkpointClicked, this,
            [this](const QString& run_id, qint64 step) {
                checkpoints_->setRunId(run_id);
                checkpoints_->selectStep(step);
                tabs_->setCurrentWidget(checkpoints_);
            });

    // Metrics to the charts, through the throttle (at most one replot per 40 ms).
    throttle_ = new dashboard::ReplotThrottle(
        [this](std::vector<dashboard::LivePoint>&& batch) {
            dashboard_->consume(std::move(batch));
        },
        40, this);
    feed_ = new MetricsFeed(paths_, throttle_);
    launcher_ = new RunLauncher(paths_, prompts_->prompts());
    feed_->moveToThread(&feed_thread_);
    launcher_->moveToThread(&feed_thread_);
    connect(&feed_thread_, &QThread::started, feed_, &MetricsFeed::start);
    connect(&feed_thread_, &QThread::finished, feed_, &QObject::deleteLater);
    connect(&feed_thread_, &QThread::finished, launcher_, &QObject::deleteLater);
    connect(this, &MainWindow::followRuns, feed_, &MetricsFeed::follow);
    connect(feed_, &MetricsFeed::detailsUpdated, this, &MainWindow::on_details);
    connect(feed_, &MetricsFeed::failed, this,
            [this](const QString& message) { statusBar()->showMessage(message, 10000); });
    connect(this, &MainWindow::launchRun, launcher_, &RunLauncher::launch);
    connect(this, &MainWindow::continueRun, launcher_, &RunLauncher::continueRun);
    connect(this, &MainWindow::forkRun, launcher_, &RunLauncher::fork);
    connect(dashboard_, &DashboardPanel::continueRequested, this, &MainWindow::continueRun);
    connect(launcher_, &RunLauncher::launched, this,
            [this, watcher](const QString& run_id, const QString& warnings) {
                statusBar()->showMessage(tr("Started run %1").arg(run_id), 10000);
                if (!warnings.isEmpty())
                    QMessageBox::information(this, tr("Run started with warnings"), warnings);
                // The list learns of the run at the watcher's next pass.
                pending_select_ = run_id;
                QMetaObject::invokeMethod(watcher, "refresh", Qt::QueuedConnection);
            });
    connect(launcher_, &RunLauncher::failed, this, [this](const QString& message) {
        QMessageBox::warning(this, tr("Could not start the run"), message);
    });

    // Hosts: the monitor probes them on its own thread; the view asks it for actions.
    hosts::MonitorOptions monitor_options;
    monitor_options.paths = paths_;
    monitor_ = new hosts::HostsMonitor(monitor_options, prompts_->prompts());
    monitor_->moveToThread(&hosts_thread_);
    connect(&hosts_thread_, &QThread::started, monitor_, &hosts::HostsMonitor::start);
    connect(&hosts_thread_, &QThread::finished, monitor_, &QObject::deleteLater);
    connect(monitor_, &hosts::HostsMonitor::hostsUpdated, this, &MainWindow::on_hosts);
    connect(monitor_, &hosts::HostsMonitor::actionFinished, hosts_view_,
            &hosts::HostsView::show_action);
    connect(this, &MainWindow::watchHosts, monitor_, &hosts::HostsMonitor::watchHosts);
    connect(this, &MainWindow::testHost, monitor_, &hosts::HostsMonitor::testHost);
    connect(hosts_view_, &hosts::HostsView::testRequested, this, [this](const QString& name) {
        prompts_->forget_refusals();  // asked for by hand: a refused key may be asked again
        emit testHost(name);
    });
    connect(hosts_view_, &hosts::HostsView::saveRequested, monitor_,
            &hosts::HostsMonitor::saveHost);
    connect(hosts_view_, &hosts::HostsView::removeRequested, monitor_,
            &hosts::HostsMonitor::removeHost);
    connect(hosts_view_, &hosts::HostsView::installRequested, this, [this](const QString& host) {
        const auto answer = QMessageBox::question(
            this, tr("Install on %1").arg(host),
            tr("Upload this Lathe source to %1 and build lathe-train and lathe-supervisor there "
               "(into ~/.lathe/bin)?\n\nThe node must run Debian or Ubuntu; missing packages are "
               "installed with apt-get, which needs root or password-less sudo. A first build "
               "takes tens of minutes.")
                .arg(host));
        if (answer == QMessageBox::Yes)
            open_install_dialog(host);
    });
    connect(hosts_view_, &hosts::HostsView::runActivated, this, [this](const QString& id) {
        pages_->setCurrentWidget(splitter_);
        runs_view_->selectRun(id);
    });

    restore_settings();
    feed_thread_.start();
    watcher_thread_->start();
    hosts_thread_.start();
}

MainWindow::~MainWindow() {
    stop_workers();
}

void MainWindow::stop_workers() {
    if (stopped_)
        return;
    stopped_ = true;
    // An open SSH question would otherwise keep a worker thread waiting for the UI thread.
    prompts_->close();
    QMetaObject::invokeMethod(monitor_, &hosts::HostsMonitor::shutdown,
                              Qt::BlockingQueuedConnection);
    hosts_thread_.quit();
    hosts_thread_.wait();
    // Close the feed's and launcher's connections on their own thread, then stop it.
    QMetaObject::invokeMethod(feed_, &MetricsFeed::shutdown, Qt::BlockingQueuedConnection);
    QMetaObject::invokeMethod(launcher_, &RunLauncher::shutdown, Qt::BlockingQueuedConnection);
    feed_thread_.quit();
    feed_thread_.wait();
    delete watcher_thread_;
    watcher_thread_ = nullptr;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    // Closing the window never stops a run: they are detached processes.
    save_settings();
    stop_workers();
    event->accept();
}

void MainWindow::select_runs(const QStringList& ids) {
    dashboard_->show_runs(ids);
    dashboard_host_.clear();  // learnt again from the first run's details
    show_host_usage();
    config_->clear();
    emit followRuns(ids, ++generation_);
}

void MainWindow::on_details(const RunDetails& d, quint64 generation) {
    if (generation != generation_)
        return;
    dashboard_->set_details(d);
    if (!dashboard_->runs().isEmpty() && d.id == dashboard_->runs().front()) {
        const QString host = hosts::host_of_run_target(d.target);
        if (host != dashboard_host_) {
            dashboard_host_ = host;
            emit watchHosts({host});
            show_host_usage();
        }
    }
    if (!dashboard_->runs().isEmpty() && d.id == dashboard_->runs().front()) {
        QString text = d.config_text;
        if (!d.parent_diff.isEmpty()) {
            text = tr("Forked from %1; changed:\n").arg(d.parent_run_id) + d.parent_diff +
                   "\n\nrun.json:\n" + text;
        }
        if (!d.compare_diff.isEmpty()) {
            text =
                tr("Against %1 (the other selected run), this run has:\n").arg(d.compare_run_id) +
                d.compare_diff + "\n" + text;
        }
        if (config_->toPlainText() != text)
            config_->setPlainText(text);
    }
}

void MainWindow::on_hosts(const hosts::HostsSnapshot& snapshot) {
    hosts_ = snapshot;
    hosts_view_->set_snapshot(snapshot);
    show_host_usage();
    if (new_run_dialog_)
        offer_hosts(new_run_dialog_);
}

void MainWindow::offer_hosts(run_form::NewRunDialog* dialog) const {
    std::map<QString, QString> lines;
    for (const auto& row : hosts_.hosts)
        lines[row.name] = hosts::gpu_choice_summary(row);
    dialog->target_picker()->set_known_hosts(lines);
}

void MainWindow::show_host_usage() {
    QString text;
    for (const auto& row : hosts_.hosts) {
        if (row.name == dashboard_host_)
            text = hosts::usage_summary(row);
    }
    dashboard_->set_host_usage(dashboard_->runs().isEmpty() ? QString() : text);
}

void MainWindow::import_folder(const QString& folder) {
    QMetaObject::invokeMethod(watcher_thread_->watcher(), "requestImport", Qt::QueuedConnection,
                              Q_ARG(QString, folder));
}

runs::CheckpointExportDialog* MainWindow::open_export_dialog(const QString& run_id,
                                                             const QString& checkpoint_path) {
    auto* dialog = new runs::CheckpointExportDialog(paths_, prompts_->prompts(), run_id,
                                                    checkpoint_path, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &runs::CheckpointExportDialog::exported, this, [this](const QString& path) {
        statusBar()->showMessage(tr("Exported %1").arg(path), 10000);
    });
    dialog->show();
    return dialog;
}

hosts::InstallDialog* MainWindow::open_install_dialog(const QString& host) {
    hosts::InstallRequest request;
    request.host = host;
    // What to build, as scripts/install-node.sh reads it (a node that only supervises, tests).
    if (const QByteArray targets = qgetenv("LATHE_INSTALL_TARGETS"); !targets.isEmpty())
        request.options.targets = targets.toStdString();
    auto* dialog = new hosts::InstallDialog(paths_, request, prompts_->prompts(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &hosts::InstallDialog::installed, this,
            [this](const QString& name) { emit testHost(name); });
    dialog->show();
    dialog->start();
    return dialog;
}

void MainWindow::on_snapshot(const runs::RunsSnapshot& snapshot) {
    // RunsView was connected first, so its model already holds this snapshot.
    if (!pending_select_.isEmpty() && runs_view_->model()->rowOf(pending_select_) >= 0) {
        runs_view_->selectRun(pending_select_);
        pending_select_.clear();
    }
    for (const auto& run : snapshot.runs) {
        auto it = last_status_.find(run.id);
        if (it != last_status_.end() && is_live(it->second) && !is_live(run.status)) {
            notify(tr("Run %1 %2").arg(run.name, run.status),
                   run.failure_reason.isEmpty() ? run.id : run.failure_reason);
        }
        last_status_[run.id] = run.status;
    }
}

void MainWindow::notify(const QString& title, const QString& message) {
    statusBar()->showMessage(title + QStringLiteral(": ") + message, 30000);
    if (QSystemTrayIcon::isSystemTrayAvailable() && QSystemTrayIcon::supportsMessages()) {
        static QSystemTrayIcon* tray = nullptr;
        if (tray == nullptr) {
            tray = new QSystemTrayIcon(windowIcon(), this);
            tray->show();
        }
        tray->showMessage(title, message);
    }
}

QWidget* MainWindow::open_new_run_dialog() {
    auto* dialog = new run_form::NewRunDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    new_run_dialog_ = dialog;
    offer_hosts(dialog);
    connect(dialog, &run_form::NewRunDialog::launchRequested, this,
            [this, dialog](const nlohmann::json& run_json) {
                const auto where = dialog->target_picker()->choice();
                nlohmann::json target = {{"target", where.target.toStdString()},
                                         {"processes", where.processes},
                                         {"gpus", where.gpus.toStdString()},
                                         {"max_failures", where.max_failures},
                                         {"extra_hosts", nlohmann::json::array()}};
                for (const auto& h : where.extra_hosts)
                    target["extra_hosts"].push_back(h.toStdString());
                if (!where.slurm.is_null())
                    target["slurm"] = where.slurm;
                emit launchRun(QString::fromStdString(run_json.dump()),
                               QString::fromStdString(run_json.value("name", std::string())),
                               QString::fromStdString(target.dump()));
                dialog->close();
            });
    dialog->show();
    return dialog;
}

void MainWindow::open_fork_dialog(const QString& run_id, qint64 step) {
    // The dialog starts from the parent's run.json; what the user changes in TrainingArguments
    // becomes the fork's overrides.
    const auto dir = std::filesystem::path(paths_.runs_root.empty()
                                               ? core::run_manager::resolve_paths(paths_).runs_root
                                               : paths_.runs_root) /
                     run_id.toStdString() / "run.json";
    auto* dialog = new run_form::NewRunDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Fork %1 from checkpoint-%2").arg(run_id).arg(step));
    if (QFile::exists(QString::fromStdString(dir.string())))
        dialog->load_preset(QString::fromStdString(dir.string()));
    connect(dialog, &run_form::NewRunDialog::launchRequested, this,
            [this, dialog, run_id, step](const nlohmann::json& run_json) {
                emit forkRun(run_id, step, QString::fromStdString(run_json.dump()));
                dialog->close();
            });
    dialog->show();
}

void MainWindow::restore_settings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    splitter_->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    dashboard_->set_smoothing(
        settings.value(QStringLiteral("dashboard/smoothing"), 0.6).toDouble());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(1400, 860);
}

void MainWindow::save_settings() const {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/splitter"), splitter_->saveState());
    settings.setValue(QStringLiteral("dashboard/smoothing"), dashboard_->smoothing());
}

}  // namespace lathe::ui::studio
