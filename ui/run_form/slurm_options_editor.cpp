#include "ui/run_form/slurm_options_editor.h"

#include <QFormLayout>
#include <QVBoxLayout>

#include "remote/slurm/sbatch_script.h"

namespace lathe::ui::run_form {

SlurmOptionsEditor::SlurmOptionsEditor(QWidget* parent) : QWidget(parent) {
    use_ = new QCheckBox(tr("Submit as a SLURM job through this host (its login node)"), this);
    fields_ = new QWidget(this);
    nodes_ = new QSpinBox(fields_);
    nodes_->setRange(1, 10000);
    gpus_per_node_ = new QSpinBox(fields_);
    gpus_per_node_->setRange(0, 1024);
    gpus_per_node_->setSpecialValueText(tr("none"));
    time_ = new QLineEdit(fields_);
    time_->setPlaceholderText(tr("[D-]HH:MM:SS, MM:SS or minutes; empty: the partition's"));
    partition_ = new QLineEdit(fields_);
    account_ = new QLineEdit(fields_);
    sbatch_lines_ = new QPlainTextEdit(fields_);
    sbatch_lines_->setPlaceholderText(tr("#SBATCH --qos=high (one per line)"));
    sbatch_lines_->setMaximumHeight(60);
    prefix_ = new QLineEdit(fields_);
    prefix_->setPlaceholderText(tr("e.g. module load slurm &&"));

    auto* form = new QFormLayout(fields_);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Nodes"), nodes_);
    form->addRow(tr("GPUs per node"), gpus_per_node_);
    form->addRow(tr("Time limit"), time_);
    form->addRow(tr("Partition"), partition_);
    form->addRow(tr("Account"), account_);
    form->addRow(tr("Extra #SBATCH lines"), sbatch_lines_);
    form->addRow(tr("Before SLURM commands"), prefix_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(use_);
    layout->addWidget(fields_);
    fields_->setVisible(false);

    connect(use_, &QCheckBox::toggled, this, [this](bool on) {
        fields_->setVisible(on);
        emit changed();
    });
    for (QSpinBox* box : {nodes_, gpus_per_node_})
        connect(box, qOverload<int>(&QSpinBox::valueChanged), this, &SlurmOptionsEditor::changed);
    for (QLineEdit* edit : {time_, partition_, account_, prefix_})
        connect(edit, &QLineEdit::textChanged, this, &SlurmOptionsEditor::changed);
    connect(sbatch_lines_, &QPlainTextEdit::textChanged, this, &SlurmOptionsEditor::changed);
}

nlohmann::json SlurmOptionsEditor::options() const {
    if (!use_->isChecked())
        return nullptr;
    nlohmann::json options = {{"nodes", nodes_->value()}};
    if (gpus_per_node_->value() > 0)
        options["gpus_per_node"] = gpus_per_node_->value();
    for (const auto& [key, edit] :
         {std::pair{"time_limit", time_}, std::pair{"partition", partition_},
          std::pair{"account", account_}, std::pair{"command_prefix", prefix_}}) {
        const QString text = edit->text().trimmed();
        if (!text.isEmpty())
            options[key] = text.toStdString();
    }
    std::vector<std::string> lines;
    for (const QString& line : sbatch_lines_->toPlainText().split('\n', Qt::SkipEmptyParts)) {
        if (!line.trimmed().isEmpty())
            lines.push_back(line.trimmed().toStdString());
    }
    if (!lines.empty())
        options["extra_sbatch_lines"] = lines;
    return options;
}

QString SlurmOptionsEditor::problem(int tasks_per_node) const {
    if (!use_->isChecked())
        return {};
    try {
        remote::slurm::validate_slurm_options(options(), tasks_per_node);
    } catch (const std::exception& e) {
        return tr("SLURM: %1").arg(QString::fromStdString(e.what()));
    }
    return {};
}

}  // namespace lathe::ui::run_form
