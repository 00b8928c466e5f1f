#include "ui/run_form/launch_target_picker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/run_manager/gpu_lists.h"

namespace lathe::ui::run_form {

namespace {

const QString kThisMachine = QStringLiteral("This machine");

}  // namespace

LaunchTargetPicker::LaunchTargetPicker(QWidget* parent) : QWidget(parent) {
    host_ = new QComboBox(this);
    host_->setEditable(true);
    host_->addItem(kThisMachine);
    host_->setToolTip(
        tr("This machine, or an SSH host as `lathe hosts list` names it; A,B runs one job on "
           "several hosts"));
    processes_ = new QSpinBox(this);
    processes_->setRange(0, 4096);
    processes_->setSpecialValueText(tr("auto"));
    processes_->setToolTip(tr("Data-parallel processes per host; auto: one per listed GPU"));
    gpus_ = new QLineEdit(this);
    gpus_->setPlaceholderText(tr("all GPUs"));
    gpus_->setToolTip(
        tr("GPU indices, e.g. 0,2,3 (CUDA_VISIBLE_DEVICES on every host), or one "
           "list per host of a multi-node run, e.g. A=0,1;B=2,3"));
    max_failures_ = new QSpinBox(this);
    max_failures_->setRange(0, 100);
    max_failures_->setToolTip(tr("Restart from the latest checkpoint after a failure, this often"));

    gpu_info_ = new QLabel(this);
    gpu_info_->setObjectName(QStringLiteral("gpu-info"));
    gpu_info_->setWordWrap(true);
    gpu_info_->setStyleSheet(QStringLiteral("color: palette(mid)"));
    gpu_info_->hide();

    slurm_ = new SlurmOptionsEditor(this);

    auto* column = new QVBoxLayout(this);
    column->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    column->addLayout(row);
    column->addWidget(gpu_info_);
    column->addWidget(slurm_);
    row->addWidget(host_, 2);
    row->addWidget(new QLabel(tr("processes"), this));
    row->addWidget(processes_);
    row->addWidget(new QLabel(tr("GPUs"), this));
    row->addWidget(gpus_, 1);
    row->addWidget(new QLabel(tr("restarts"), this));
    row->addWidget(max_failures_);

    connect(host_, &QComboBox::currentTextChanged, this, &LaunchTargetPicker::changed);
    connect(host_, &QComboBox::currentTextChanged, this, &LaunchTargetPicker::show_gpu_info);
    connect(processes_, qOverload<int>(&QSpinBox::valueChanged), this,
            &LaunchTargetPicker::changed);
    connect(gpus_, &QLineEdit::textChanged, this, &LaunchTargetPicker::changed);
    connect(slurm_, &SlurmOptionsEditor::changed, this, &LaunchTargetPicker::changed);
    connect(max_failures_, qOverload<int>(&QSpinBox::valueChanged), this,
            &LaunchTargetPicker::changed);
}

void LaunchTargetPicker::set_known_hosts(const std::map<QString, QString>& gpu_lines) {
    gpu_lines_ = gpu_lines;
    for (const auto& [name, line] : gpu_lines_) {
        if (name.compare(kThisMachine, Qt::CaseInsensitive) != 0 && host_->findText(name) < 0)
            host_->addItem(name);
    }
    show_gpu_info();
}

void LaunchTargetPicker::show_gpu_info() {
    QString host = host_->currentText().trimmed();
    if (host.compare(kThisMachine, Qt::CaseInsensitive) == 0 || host.isEmpty())
        host = kThisMachine.toLower();
    host = host.section(',', 0, 0).trimmed();  // a multi-node run: its first node's GPUs
    const auto it = gpu_lines_.find(host);
    const QString text = it == gpu_lines_.end() ? QString() : it->second;
    gpu_info_->setText(text);
    gpu_info_->setVisible(!text.isEmpty());
}

LaunchTarget LaunchTargetPicker::choice() const {
    LaunchTarget t;
    const QString text = host_->currentText().trimmed();
    if (!text.isEmpty() && text != kThisMachine) {
        QStringList hosts;
        for (const auto& part : text.split(',', Qt::SkipEmptyParts))
            hosts << part.trimmed();
        if (!hosts.isEmpty()) {
            t.target = QStringLiteral("ssh:") + hosts.takeFirst();
            t.extra_hosts = hosts;
        }
    }
    t.processes = processes_->value();
    t.gpus = gpus_->text().trimmed();
    t.max_failures = max_failures_->value();
    if (slurm_->enabled() && t.target.startsWith(QStringLiteral("ssh:"))) {
        // The host is the cluster's login node; SLURM places the ranks.
        t.target = QStringLiteral("slurm:") + t.target.mid(4);
        t.slurm = slurm_->options();
    }
    return t;
}

QString LaunchTargetPicker::problem() const {
    static const QRegularExpression host_list(
        QStringLiteral("^[A-Za-z0-9_.@:-]+(,[A-Za-z0-9_.@:-]+)*$"));
    const QString hosts = host_->currentText().trimmed().remove(' ');
    if (host_->currentText().trimmed() != kThisMachine && !host_list.match(hosts).hasMatch())
        return tr("Host = \"%1\": a host name, or several separated by commas")
            .arg(host_->currentText());
    const LaunchTarget t = choice();
    if (slurm_->enabled()) {
        if (!t.target.startsWith(QStringLiteral("slurm:")))
            return tr("SLURM: choose the cluster's login host in Where (an SSH host)");
        if (!t.extra_hosts.isEmpty())
            return tr("SLURM: one login host; the job's nodes are its Nodes field");
        if (!t.gpus.isEmpty())
            return tr("GPUs: SLURM allocates a job's GPUs; use GPUs per node instead");
        return slurm_->problem(t.processes);
    }
    // The run manager's own rule for the GPU field (one list, or one per host).
    std::vector<std::string> extra;
    for (const QString& host : t.extra_hosts)
        extra.push_back(host.toStdString());
    try {
        core::run_manager::gpu_lists_per_host(
            t.gpus.toStdString(), core::run_manager::run_hosts(t.target.toStdString(), extra));
    } catch (const std::exception& e) {
        return tr("GPUs: %1").arg(QString::fromStdString(e.what()));
    }
    return {};
}

}  // namespace lathe::ui::run_form
