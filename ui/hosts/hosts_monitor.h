#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <QObject>
#include <QString>
#include <QStringList>

#include "core/run_manager/lathe_paths.h"
#include "remote/ssh/ssh_target.h"
#include "ui/hosts/host_rows.h"

class QTimer;

namespace lathe::core::registry {
class Registry;
}
namespace lathe::remote::runs {
class SessionPool;
}

namespace lathe::ui::hosts {

struct MonitorOptions {
    core::run_manager::LathePaths paths;  // empty fields: resolve_paths() defaults
    // How often a host is probed (nvidia-smi, memory, disk: one command through its login shell).
    int interval_ms = 5000;
    // A host whose probe failed waits this long, doubling up to max_backoff_ms, so that a dead
    // host (each try waits for the connect timeout) does not hold up the others.
    int backoff_ms = 5000;
    int max_backoff_ms = 60000;
    int worker_interval_ms = 60000;
    bool probe_this_machine = true;
    std::string ssh_config_path;  // empty: ~/.ssh/config
};

// The Hosts view's worker: lists this machine, the hosts added to the registry and the
// ~/.ssh/config aliases with the runs on each, and keeps their facts (remote/runs/host_probe.h:
// OS, CPUs, memory, free disk, GPUs, the worker's version) current. Probed periodically: this
// machine, added hosts, hosts with a live run and hosts asked about (watchHosts, testHost);
// a config alias nothing asked about is listed but not contacted. Lives in its own QThread with
// its own registry connection and SSH sessions; the UI hears back through signals.
class HostsMonitor : public QObject {
    Q_OBJECT

  public:
    HostsMonitor(MonitorOptions options, remote::ssh::Prompts prompts, QObject* parent = nullptr);
    ~HostsMonitor() override;

  public slots:
    // Opens the registry in the calling (worker) thread and starts the timer.
    void start();
    void shutdown();
    // Lists the hosts and their runs again and probes what is due now.
    void refresh();
    // Hosts probed as long as they are watched (the runs the dashboard shows).
    void watchHosts(const QStringList& names);
    // Probes `name` now and keeps probing it; the outcome also comes as actionFinished("test").
    void testHost(const QString& name);
    // Adds or replaces a host from its JSON spec (remote/runs/remote_host.h); a spec that
    // does not validate comes back as a failed "save" naming the field.
    void saveHost(const QString& spec_json);
    void removeHost(const QString& name);

  signals:
    void hostsUpdated(const lathe::ui::hosts::HostsSnapshot& snapshot);
    void actionFinished(const lathe::ui::hosts::HostAction& result);

  private:
    struct Probed {
        std::optional<remote::hosts::HostFacts> facts;
        QString error;
        double probed_at = 0;
        std::chrono::steady_clock::time_point next_at{};
        std::chrono::milliseconds backoff{0};
        std::chrono::steady_clock::time_point worker_checked_at{};
    };
    // The hosts and their runs from the registry and ~/.ssh/config, without facts.
    HostsSnapshot list();
    // Probes what is due; lists again first when `relist` or the listing is older than the
    // probe interval (the timer ticks more often than that so that each host is probed on time,
    // but the registry and ~/.ssh/config need not be read at every tick).
    void pass(bool relist);
    // Probes `row`'s host now; true when it answered.
    // The worker's --version is asked on the first probe, on tests and every
    // worker_interval; in between its last answer is kept.
    bool probe(HostRow& row, bool force_worker = false);
    void fill(HostRow& row) const;

    MonitorOptions options_;
    remote::ssh::Prompts prompts_;
    std::unique_ptr<core::registry::Registry> registry_;
    std::unique_ptr<remote::runs::SessionPool> pool_;
    QTimer* timer_ = nullptr;
    std::map<QString, Probed> probed_;
    std::set<QString> watched_, tested_;
    QString open_error_;
    QString last_signature_;
    HostsSnapshot listed_;
    std::chrono::steady_clock::time_point listed_at_{};
};

}  // namespace lathe::ui::hosts
