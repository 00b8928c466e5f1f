#include "ui/run_form/launch_target_picker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>

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
    gpus_->setToolTip(tr("GPU indices, e.g. 0,2,3 (CUDA_VISIBLE_DEVICES on every host)"));
    max_failures_ = new QSpinBox(this);
    max_failures_->setRange(0, 100);
    max_failures_->setToolTip(tr("Restart from the latest checkpoint after a failure, this often"));

    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(host_, 2);
    row->addWidget(new QLabel(tr("processes"), this));
    row->addWidget(processes_);
    row->addWidget(new QLabel(tr("GPUs"), this));
    row->addWidget(gpus_, 1);
    row->addWidget(new QLabel(tr("restarts"), this));
    row->addWidget(max_failures_);

    connect(host_, &QComboBox::currentTextChanged, this, &LaunchTargetPicker::changed);
    connect(processes_, qOverload<int>(&QSpinBox::valueChanged), this,
            &LaunchTargetPicker::changed);
    connect(gpus_, &QLineEdit::textChanged, this, &LaunchTargetPicker::changed);
    connect(max_failures_, qOverload<int>(&QSpinBox::valueChanged), this,
            &LaunchTargetPicker::changed);
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
    return t;
}

QString LaunchTargetPicker::problem() const {
    static const QRegularExpression gpu_list(QStringLiteral("^(\\d+(,\\d+)*)?$"));
    if (!gpu_list.match(gpus_->text().trimmed()).hasMatch())
        return tr("GPUs = \"%1\": list GPU indices separated by commas, e.g. 0,2,3")
            .arg(gpus_->text());
    static const QRegularExpression host_list(
        QStringLiteral("^[A-Za-z0-9_.@:-]+(,[A-Za-z0-9_.@:-]+)*$"));
    const QString hosts = host_->currentText().trimmed().remove(' ');
    if (host_->currentText().trimmed() != kThisMachine && !host_list.match(hosts).hasMatch())
        return tr("Host = \"%1\": a host name, or several separated by commas")
            .arg(host_->currentText());
    return {};
}

}  // namespace lathe::ui::run_form
