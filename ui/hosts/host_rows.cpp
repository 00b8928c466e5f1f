#include "ui/hosts/host_rows.h"

#include <QStringList>

#include "remote/runs/remote_host.h"

namespace lathe::ui::hosts {

QString host_of_run_target(const QString& target) {
    const auto host = remote::runs::host_of_target(target.toStdString());
    return host.empty() ? kThisMachine : QString::fromStdString(host);
}

QString format_gib(double bytes) {
    return QStringLiteral("%1 GiB").arg(bytes / (1024.0 * 1024.0 * 1024.0), 0, 'f', 1);
}

namespace {

QString percent(int value) {
    return value < 0 ? QStringLiteral("?%") : QStringLiteral("%1%").arg(value);
}

}  // namespace

QString usage_summary(const HostRow& row) {
    if (!row.facts) {
        return row.error.isEmpty() ? QString() : row.name + QStringLiteral(": ") + row.error;
    }
    const auto& f = *row.facts;
    QStringList parts;
    for (const auto& g : f.gpus) {
        QString part = QStringLiteral("GPU %1 %2 %3")
                           .arg(g.index)
                           .arg(QString::fromStdString(g.name), percent(g.utilization_percent));
        if (g.memory_total_mib > 0) {
            part += QStringLiteral(" · %1 / %2 GiB")
                        .arg(g.memory_used_mib < 0
                                 ? QStringLiteral("?")
                                 : QString::number(g.memory_used_mib / 1024.0, 'f', 1))
                        .arg(g.memory_total_mib / 1024.0, 0, 'f', 1);
        }
        if (g.temperature_c >= 0) {
            part += QStringLiteral(" · %1 °C").arg(g.temperature_c);
        }
        parts << part;
    }
    if (f.gpus.empty()) {
        parts << QStringLiteral("no GPU (%1)").arg(QString::fromStdString(f.gpu_error));
    }
    if (f.memory_total_bytes > 0) {
        parts << QStringLiteral("memory %1 free of %2")
                     .arg(format_gib(static_cast<double>(f.memory_available_bytes)),
                          format_gib(static_cast<double>(f.memory_total_bytes)));
    }
    QString text = row.name + QStringLiteral(": ") + parts.join(QStringLiteral("; "));
    if (!row.error.isEmpty()) {
        text += QStringLiteral(" (last probe failed: %1)").arg(row.error);
    }
    return text;
}

QString gpu_choice_summary(const HostRow& row) {
    if (!row.facts) {
        return QString();
    }
    if (row.facts->gpus.empty()) {
        return QStringLiteral("no GPU (%1): CPU only")
            .arg(QString::fromStdString(row.facts->gpu_error));
    }
    QStringList parts;
    for (const auto& g : row.facts->gpus) {
        QStringList notes;
        if (g.memory_total_mib > 0 && g.memory_used_mib >= 0) {
            notes << QStringLiteral("%1 GiB free")
                         .arg((g.memory_total_mib - g.memory_used_mib) / 1024.0, 0, 'f', 1);
        }
        if (g.utilization_percent >= 0) {
            notes << QStringLiteral("%1% busy").arg(g.utilization_percent);
        }
        parts << QStringLiteral("GPU %1 %2%3")
                     .arg(g.index)
                     .arg(QString::fromStdString(g.name),
                          notes.isEmpty()
                              ? QString()
                              : QStringLiteral(" (") + notes.join(QStringLiteral(", ")) +
                                    QStringLiteral(")"));
    }
    return parts.join(QStringLiteral("; "));
}

QString gpus_summary(const HostRow& row) {
    if (!row.facts) {
        return QStringLiteral("-");
    }
    const auto& gpus = row.facts->gpus;
    if (gpus.empty()) {
        return QStringLiteral("none");
    }
    int busy = 0, known = 0;
    for (const auto& g : gpus) {
        if (g.utilization_percent >= 0) {
            busy += g.utilization_percent;
            ++known;
        }
    }
    QString text =
        QStringLiteral("%1 x %2").arg(gpus.size()).arg(QString::fromStdString(gpus.front().name));
    if (known > 0) {
        text += QStringLiteral(", %1% busy").arg(busy / known);
    }
    return text;
}

void register_host_types() {
    qRegisterMetaType<HostsSnapshot>();
    qRegisterMetaType<HostAction>();
}

}  // namespace lathe::ui::hosts
