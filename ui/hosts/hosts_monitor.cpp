#include "ui/hosts/hosts_monitor.h"

#include <QDateTime>
#include <QTimer>

#include <nlohmann/json.hpp>

#include "core/registry/registry.h"
#include "remote/runs/host_list.h"
#include "remote/runs/host_probe.h"
#include "remote/runs/session_pool.h"
#include "remote/ssh/shell_quote.h"

namespace lathe::ui::hosts {

using Clock = std::chrono::steady_clock;

HostsMonitor::HostsMonitor(MonitorOptions options, remote::ssh::Prompts prompts, QObject* parent)
    : QObject(parent), options_(std::move(options)), prompts_(std::move(prompts)) {
    register_host_types();
}

HostsMonitor::~HostsMonitor() = default;

void HostsMonitor::start() {
    options_.paths = core::run_manager::resolve_paths(options_.paths);
    try {
        registry_ = std::make_unique<core::registry::Registry>(
            core::registry::Registry::open({options_.paths.registry_path}));
    } catch (const std::exception& e) {
        open_error_ = QString::fromStdString(e.what());
    }
    pool_ = std::make_unique<remote::runs::SessionPool>(prompts_);
    timer_ = new QTimer(this);
    connect(timer_, &QTimer::timeout, this, [this] { pass(false); });
    timer_->start(std::max(200, options_.interval_ms / 5));  // probes are due per host
    refresh();
}

void HostsMonitor::shutdown() {
    if (timer_ != nullptr) {
        timer_->stop();
    }
    pool_.reset();
    registry_.reset();
}

void HostsMonitor::watchHosts(const QStringList& names) {
    watched_ = std::set<QString>(names.begin(), names.end());
    refresh();
}

HostsSnapshot HostsMonitor::list() {
    HostsSnapshot snapshot;
    if (!registry_) {
        snapshot.error = open_error_;
        return snapshot;
    }
    HostRow local;
    local.name = kThisMachine;
    local.from = kThisMachine;
    local.this_machine = true;
    local.address = QStringLiteral("localhost");
    local.worker_command = QString::fromStdString(options_.paths.trainer_program);
    local.runs_dir = QString::fromStdString(options_.paths.runs_root);
    snapshot.hosts.push_back(local);
    try {
        for (const auto& h : remote::runs::list_hosts(*registry_, options_.ssh_config_path)) {
            HostRow row;
            row.name = QString::fromStdString(h.host.name);
            row.from = QString::fromStdString(h.from);
            row.address = QString::fromStdString(h.address);
            row.worker_command = QString::fromStdString(h.host.worker_command);
            row.runs_dir = QString::fromStdString(h.host.runs_dir);
            row.added = h.added;
            snapshot.hosts.push_back(row);
        }
        for (const auto& run : registry_->list_runs()) {
            const QString host = host_of_run_target(QString::fromStdString(run.target));
            auto it = std::find_if(snapshot.hosts.begin(), snapshot.hosts.end(),
                                   [&](const HostRow& r) { return r.name == host; });
            if (it == snapshot.hosts.end()) {
                // A plain host name used as a target without being added or configured.
                HostRow row;
                row.name = host;
                row.from = tr("used by runs");
                row.address = host;
                snapshot.hosts.push_back(row);
                it = std::prev(snapshot.hosts.end());
            }
            it->runs.push_back({QString::fromStdString(run.id), QString::fromStdString(run.name),
                                QString::fromStdString(core::registry::to_string(run.status)),
                                core::registry::is_live(run.status)});
        }
    } catch (const std::exception& e) {
        snapshot.error = QString::fromStdString(e.what());
    }
    return snapshot;
}

void HostsMonitor::fill(HostRow& row) const {
    auto it = probed_.find(row.name);
    if (it == probed_.end()) {
        return;
    }
    row.facts = it->second.facts;
    row.error = it->second.error;
    row.probed_at = it->second.probed_at;
    row.state = it->second.error.isEmpty() ? QStringLiteral("ok") : QStringLiteral("failed");
}

bool HostsMonitor::probe(HostRow& row, bool force_worker) {
    Probed& p = probed_[row.name];
    const auto now = Clock::now();
    const bool with_worker =
        force_worker || !p.facts ||
        now - p.worker_checked_at >= std::chrono::milliseconds(options_.worker_interval_ms);
    try {
        remote::hosts::HostFacts facts;
        if (row.this_machine) {
            facts = remote::runs::probe_this_machine(
                options_.paths.runs_root,
                with_worker ? remote::ssh::shell_quote(options_.paths.trainer_program) : "");
        } else {
            const auto host = remote::runs::find_remote_host(*registry_, row.name.toStdString());
            try {
                facts = remote::runs::probe_host(*pool_->get(host).session, host, with_worker);
            } catch (...) {
                pool_->drop(host.name);
                throw;
            }
        }
        if (with_worker) {
            p.worker_checked_at = now;
        } else {
            facts.worker_version = p.facts->worker_version;
            facts.worker_error = p.facts->worker_error;
        }
        p.facts = facts;
        p.error.clear();
        p.probed_at = static_cast<double>(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        p.backoff = std::chrono::milliseconds(0);
        p.next_at = Clock::now() + std::chrono::milliseconds(options_.interval_ms);
    } catch (const std::exception& e) {
        p.error = QString::fromStdString(e.what());
        p.backoff =
            std::min(std::max(p.backoff * 2, std::chrono::milliseconds(options_.backoff_ms)),
                     std::chrono::milliseconds(options_.max_backoff_ms));
        p.next_at = Clock::now() + p.backoff;
    }
    fill(row);
    return p.error.isEmpty();
}

void HostsMonitor::refresh() {
    pass(true);
}

void HostsMonitor::pass(bool relist) {
    if (!pool_) {
        return;
    }
    const auto now = Clock::now();
    if (relist || now - listed_at_ >= std::chrono::milliseconds(options_.interval_ms)) {
        listed_ = list();
        listed_at_ = now;
    }
    HostsSnapshot snapshot = listed_;
    for (auto& row : snapshot.hosts) {
        fill(row);
    }
    bool probed_any = false;
    for (auto& row : snapshot.hosts) {
        const bool live = std::any_of(row.runs.begin(), row.runs.end(),
                                      [](const HostRunRow& r) { return r.live; });
        const bool wanted = (row.this_machine && options_.probe_this_machine) || row.added ||
                            live || watched_.count(row.name) != 0 || tested_.count(row.name) != 0;
        auto it = probed_.find(row.name);
        if (!wanted || (it != probed_.end() && now < it->second.next_at)) {
            continue;
        }
        if (it == probed_.end()) {
            // A host asked for the first time shows as such while it answers (or times out).
            row.state = QStringLiteral("probing");
            emit hostsUpdated(snapshot);
        }
        probe(row);
        probed_any = true;
    }
    // Unchanged lists are not sent again: the view would only rebuild the same tables.
    QString signature;
    for (const auto& row : snapshot.hosts) {
        signature += row.name + row.state + row.error + QString::number(row.probed_at);
        for (const auto& r : row.runs) {
            signature += r.id + r.status;
        }
    }
    if (probed_any || signature != last_signature_) {
        last_signature_ = signature;
        emit hostsUpdated(snapshot);
    }
}

void HostsMonitor::testHost(const QString& name) {
    tested_.insert(name);
    probed_.erase(name);  // due now, whatever the backoff said
    HostsSnapshot snapshot = list();
    for (auto& row : snapshot.hosts) {
        fill(row);
    }
    for (auto& row : snapshot.hosts) {
        if (row.name == name) {
            const bool ok = probe(row, true);
            emit hostsUpdated(snapshot);
            emit actionFinished(
                {QStringLiteral("test"), name, ok, ok ? tr("%1 answered").arg(name) : row.error});
            return;
        }
    }
    emit actionFinished({QStringLiteral("test"), name, false, tr("no host named %1").arg(name)});
}

void HostsMonitor::saveHost(const QString& spec_json) {
    QString name;
    try {
        const auto spec = nlohmann::json::parse(spec_json.toStdString());
        name = QString::fromStdString(spec.value("name", std::string()));
        remote::runs::validate_host_spec(spec, "host " + name.toStdString());
        if (!registry_) {
            throw std::runtime_error(open_error_.toStdString());
        }
        registry_->put_host(name.toStdString(), spec);
        pool_->drop(name.toStdString());  // its settings may have changed
        probed_.erase(name);
        emit actionFinished({QStringLiteral("save"), name, true, tr("%1 saved").arg(name)});
    } catch (const std::exception& e) {
        emit actionFinished(
            {QStringLiteral("save"), name, false, QString::fromStdString(e.what())});
        return;
    }
    refresh();
}

void HostsMonitor::removeHost(const QString& name) {
    try {
        const bool removed = registry_ && registry_->remove_host(name.toStdString());
        pool_->drop(name.toStdString());
        probed_.erase(name);
        tested_.erase(name);
        emit actionFinished(
            {QStringLiteral("remove"), name, removed,
             removed ? tr("%1 removed").arg(name)
                     : tr("%1 was not added by hand (it comes from ~/.ssh/config)").arg(name)});
    } catch (const std::exception& e) {
        emit actionFinished(
            {QStringLiteral("remove"), name, false, QString::fromStdString(e.what())});
    }
    refresh();
}

}  // namespace lathe::ui::hosts
