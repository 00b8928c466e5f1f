#include "ui/hosts/hosts_view.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include "ui/hosts/host_editor_dialog.h"

namespace lathe::ui::hosts {

namespace {

QTableWidget* make_table(const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, headers.size(), parent);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->setVisible(false);
    // A handful of rows: sizing columns to their contents costs nothing and truncates nothing.
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setStretchLastSection(true);
    table->setWordWrap(false);
    return table;
}

void set_cell(QTableWidget* table, int row, int column, const QString& text) {
    auto* item = table->item(row, column);
    if (item == nullptr) {
        item = new QTableWidgetItem;
        table->setItem(row, column, item);
    }
    if (item->text() != text) {
        item->setText(text);
    }
}

QString bytes_or_dash(std::int64_t bytes) {
    return bytes < 0 ? QStringLiteral("-") : format_gib(static_cast<double>(bytes));
}

QString mib(std::int64_t value) {
    return value < 0 ? QStringLiteral("?") : QStringLiteral("%1 MiB").arg(value);
}

}  // namespace

HostsView::HostsView(QWidget* parent) : QWidget(parent) {
    hosts_ = make_table({tr("Host"), tr("Address"), tr("State"), tr("GPUs"), tr("Memory free"),
                         tr("Disk free"), tr("Worker"), tr("Runs")},
                        this);
    hosts_->setObjectName(QStringLiteral("hosts-table"));
    details_ = new QLabel(this);
    details_->setObjectName(QStringLiteral("host-details"));
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    gpus_ = make_table({tr("GPU"), tr("Name"), tr("Utilisation"), tr("Memory used"),
                        tr("Memory total"), tr("Temperature")},
                       this);
    gpus_->setObjectName(QStringLiteral("gpus-table"));
    runs_ = make_table({tr("Run"), tr("Name"), tr("Status")}, this);
    runs_->setObjectName(QStringLiteral("host-runs-table"));
    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("hosts-message"));
    message_->setWordWrap(true);

    add_ = new QPushButton(tr("Add host..."), this);
    remove_ = new QPushButton(tr("Remove"), this);
    test_ = new QPushButton(tr("Test connection"), this);
    install_ = new QPushButton(tr("Install on host..."), this);
    auto* buttons = new QHBoxLayout;
    for (auto* b : {add_, remove_, test_, install_}) {
        buttons->addWidget(b);
    }
    buttons->addStretch(1);

    auto* right = new QWidget(this);
    auto* right_layout = new QVBoxLayout(right);
    right_layout->setContentsMargins(0, 0, 0, 0);
    right_layout->addWidget(details_);
    right_layout->addWidget(new QLabel(tr("GPUs"), right));
    right_layout->addWidget(gpus_, 1);
    right_layout->addWidget(new QLabel(tr("Runs on this host (double-click to open)"), right));
    right_layout->addWidget(runs_, 1);
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(hosts_);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(splitter, 1);
    layout->addWidget(message_);

    connect(hosts_, &QTableWidget::itemSelectionChanged, this, &HostsView::show_selected);
    connect(test_, &QPushButton::clicked, this, [this] {
        if (!selected_host().isEmpty()) {
            message_->setText(tr("Testing %1...").arg(selected_host()));
            emit testRequested(selected_host());
        }
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (!selected_host().isEmpty()) {
            emit removeRequested(selected_host());
        }
    });
    connect(install_, &QPushButton::clicked, this, [this] {
        if (!selected_host().isEmpty()) {
            emit installRequested(selected_host());
        }
    });
    connect(add_, &QPushButton::clicked, this, [this] {
        auto* dialog = new HostEditorDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &HostEditorDialog::saveRequested, this, &HostsView::saveRequested);
        dialog->show();
        emit editorOpened(dialog);
    });
    connect(runs_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (auto* item = runs_->item(row, 0)) {
            emit runActivated(item->text());
        }
    });
    show_selected();
}

const HostRow* HostsView::selected_row() const {
    const auto rows = hosts_->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        return nullptr;
    }
    const int r = rows.front().row();
    return r < static_cast<int>(snapshot_.hosts.size()) ? &snapshot_.hosts[r] : nullptr;
}

QString HostsView::selected_host() const {
    const HostRow* row = selected_row();
    return row == nullptr ? QString() : row->name;
}

bool HostsView::select_host(const QString& name) {
    for (int r = 0; r < static_cast<int>(snapshot_.hosts.size()); ++r) {
        if (snapshot_.hosts[r].name == name) {
            hosts_->selectRow(r);
            return true;
        }
    }
    return false;
}

void HostsView::set_snapshot(const HostsSnapshot& snapshot) {
    const QString keep = selected_host();
    snapshot_ = snapshot;
    const QSignalBlocker block(hosts_);
    hosts_->setRowCount(static_cast<int>(snapshot_.hosts.size()));
    for (int r = 0; r < static_cast<int>(snapshot_.hosts.size()); ++r) {
        const HostRow& h = snapshot_.hosts[r];
        set_cell(hosts_, r, 0, h.name);
        set_cell(hosts_, r, 1, h.address);
        set_cell(hosts_, r, 2, h.state);
        set_cell(hosts_, r, 3, gpus_summary(h));
        set_cell(hosts_, r, 4,
                 h.facts ? bytes_or_dash(h.facts->memory_available_bytes) : QStringLiteral("-"));
        set_cell(hosts_, r, 5,
                 h.facts ? bytes_or_dash(h.facts->disk_free_bytes) : QStringLiteral("-"));
        set_cell(hosts_, r, 6,
                 !h.facts ? QStringLiteral("-")
                 : h.facts->worker_error.empty()
                     ? QString::fromStdString(h.facts->worker_version)
                     : tr("NOT OK: %1").arg(QString::fromStdString(h.facts->worker_error)));
        set_cell(hosts_, r, 7, QString::number(h.runs.size()));
        hosts_->item(r, 2)->setToolTip(h.error);
    }
    if (!snapshot_.error.isEmpty()) {
        message_->setText(snapshot_.error);
    }
    if (!select_host(keep) && !snapshot_.hosts.empty() && keep.isEmpty()) {
        hosts_->selectRow(0);
    }
    show_selected();
}

void HostsView::show_selected() {
    const HostRow* h = selected_row();
    remove_->setEnabled(h != nullptr && h->added);
    test_->setEnabled(h != nullptr);
    install_->setEnabled(h != nullptr && !h->this_machine);
    if (h == nullptr) {
        details_->clear();
        gpus_->setRowCount(0);
        runs_->setRowCount(0);
        return;
    }
    QStringList lines;
    lines << tr("<b>%1</b> (%2) — %3")
                 .arg(h->name.toHtmlEscaped(), h->from.toHtmlEscaped(), h->state);
    if (!h->error.isEmpty()) {
        lines << tr("<span style='color:#b00020'>%1</span>").arg(h->error.toHtmlEscaped());
    }
    if (h->facts) {
        const auto& f = *h->facts;
        lines << tr("OS: %1 (%2)")
                     .arg(QString::fromStdString(f.os).toHtmlEscaped(),
                          QString::fromStdString(f.kernel).toHtmlEscaped());
        lines << tr("CPUs: %1 · memory %2 free of %3 · disk %4 free in %5")
                     .arg(f.cpu_count)
                     .arg(bytes_or_dash(f.memory_available_bytes),
                          bytes_or_dash(f.memory_total_bytes), bytes_or_dash(f.disk_free_bytes),
                          h->runs_dir.toHtmlEscaped());
        lines << tr("Worker: %1 — %2")
                     .arg(h->worker_command.toHtmlEscaped(),
                          QString::fromStdString(f.worker_error.empty()
                                                     ? f.worker_version
                                                     : "NOT OK: " + f.worker_error)
                              .toHtmlEscaped());
        lines << tr("Probed %1")
                     .arg(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(h->probed_at * 1000))
                              .toString(QStringLiteral("HH:mm:ss")));
    }
    details_->setText(lines.join(QStringLiteral("<br>")));

    const auto gpus = h->facts ? h->facts->gpus : std::vector<remote::hosts::GpuFacts>{};
    gpus_->setRowCount(static_cast<int>(gpus.size()));
    for (int r = 0; r < static_cast<int>(gpus.size()); ++r) {
        const auto& g = gpus[r];
        set_cell(gpus_, r, 0, QString::number(g.index));
        set_cell(gpus_, r, 1, QString::fromStdString(g.name));
        set_cell(gpus_, r, 2,
                 g.utilization_percent < 0 ? QStringLiteral("?")
                                           : QStringLiteral("%1%").arg(g.utilization_percent));
        set_cell(gpus_, r, 3, mib(g.memory_used_mib));
        set_cell(gpus_, r, 4, mib(g.memory_total_mib));
        set_cell(gpus_, r, 5,
                 g.temperature_c < 0 ? QStringLiteral("?")
                                     : QStringLiteral("%1 °C").arg(g.temperature_c));
    }
    if (gpus.empty() && h->facts) {
        gpus_->setRowCount(1);
        set_cell(gpus_, 0, 0, QStringLiteral("-"));
        set_cell(gpus_, 0, 1, tr("none: %1").arg(QString::fromStdString(h->facts->gpu_error)));
        for (int c = 2; c < 6; ++c) {
            set_cell(gpus_, 0, c, QString());
        }
    }
    runs_->setRowCount(static_cast<int>(h->runs.size()));
    for (int r = 0; r < static_cast<int>(h->runs.size()); ++r) {
        set_cell(runs_, r, 0, h->runs[r].id);
        set_cell(runs_, r, 1, h->runs[r].name);
        set_cell(runs_, r, 2, h->runs[r].status);
    }
}

void HostsView::show_action(const HostAction& result) {
    message_->setStyleSheet(result.ok ? QString() : QStringLiteral("color: #b00020"));
    message_->setText(result.message);
}

}  // namespace lathe::ui::hosts
