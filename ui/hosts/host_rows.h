#pragma once

#include <optional>
#include <vector>

#include <QMetaType>
#include <QString>

#include "remote/hosts/host_facts.h"

namespace lathe::ui::hosts {

// What the Hosts view and the dashboard know about the machines runs go to: plain values copied
// on the monitor's thread (HostsMonitor), never a connection.

struct HostRunRow {
    QString id;
    QString name;
    QString status;
    bool live = false;  // starting or running (core::registry::is_live)
};

struct HostRow {
    QString name;  // the target's host name; kThisMachine for local runs
    QString from;  // "this machine", "added" or the ~/.ssh/config "path:line"
    QString address;
    QString worker_command;
    QString runs_dir;
    bool added = false;
    bool this_machine = false;
    // "ok", "failed", "probing" or "not probed" (a config alias nothing asked about yet).
    QString state = QStringLiteral("not probed");
    QString error;  // why the last probe failed
    // The last successful probe, kept while a later one fails.
    std::optional<remote::hosts::HostFacts> facts;
    double probed_at = 0;          // unix seconds of `facts`
    std::vector<HostRunRow> runs;  // newest first
};

struct HostsSnapshot {
    std::vector<HostRow> hosts;  // this machine first, then added hosts, then ~/.ssh/config ones
    QString error;               // the registry or ~/.ssh/config could not be read
};

// The outcome of a host action the view asked for ("test", "save", "remove").
struct HostAction {
    QString action;
    QString host;
    bool ok = false;
    QString message;
};

inline const QString kThisMachine = QStringLiteral("this machine");

// The host a run's target runs on: kThisMachine for local targets.
QString host_of_run_target(const QString& target);

// One line for a run's dashboard: the host's GPUs (utilisation, memory, temperature) and its
// free memory, or why there are none; "" when the host was never probed.
QString usage_summary(const HostRow& row);
// For choosing GPUs in the New Run dialog: "GPU 0 NVIDIA H200 (101.2 GiB free, 87% busy); GPU 1
// ...", "no GPU (nvidia-smi: not found): CPU only", or "" when the host was never probed.
QString gpu_choice_summary(const HostRow& row);
// "2 x NVIDIA H200, 45% busy" for the hosts table; "none" or "-" when unknown.
QString gpus_summary(const HostRow& row);
// "12.3 GiB".
QString format_gib(double bytes);

void register_host_types();

}  // namespace lathe::ui::hosts

Q_DECLARE_METATYPE(lathe::ui::hosts::HostsSnapshot)
Q_DECLARE_METATYPE(lathe::ui::hosts::HostAction)
