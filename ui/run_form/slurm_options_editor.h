#pragma once

#include <QCheckBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QWidget>
#include <nlohmann/json.hpp>

namespace lathe::ui::run_form {

// A SLURM batch job as the run's target (docs/slurm.md): submitted through the login host chosen
// in the Where row, with the resources `lathe train --slurm` takes: nodes, GPUs per node, time
// limit, partition, account, extra #SBATCH lines, and what precedes SLURM's commands on the
// login node (e.g. "module load slurm &&").
class SlurmOptionsEditor : public QWidget {
    Q_OBJECT

  public:
    explicit SlurmOptionsEditor(QWidget* parent = nullptr);

    bool enabled() const { return use_->isChecked(); }
    void set_enabled(bool on) { use_->setChecked(on); }
    // lathe-run.json's "slurm" object (what RunManager::SubmitOptions::slurm takes); null when
    // the run is not a SLURM job.
    nlohmann::json options() const;
    // Empty when valid (the sbatch script's own checks, remote::slurm::validate_slurm_options,
    // for `tasks_per_node` ranks per node); else what is wrong, naming the field.
    QString problem(int tasks_per_node) const;

    QCheckBox* use_box() const { return use_; }
    QSpinBox* nodes_box() const { return nodes_; }
    QSpinBox* gpus_per_node_box() const { return gpus_per_node_; }
    QLineEdit* time_edit() const { return time_; }
    QLineEdit* partition_edit() const { return partition_; }
    QLineEdit* account_edit() const { return account_; }
    QPlainTextEdit* sbatch_lines_edit() const { return sbatch_lines_; }
    QLineEdit* prefix_edit() const { return prefix_; }

  signals:
    void changed();

  private:
    QCheckBox* use_ = nullptr;
    QWidget* fields_ = nullptr;
    QSpinBox* nodes_ = nullptr;
    QSpinBox* gpus_per_node_ = nullptr;
    QLineEdit* time_ = nullptr;
    QLineEdit* partition_ = nullptr;
    QLineEdit* account_ = nullptr;
    QPlainTextEdit* sbatch_lines_ = nullptr;
    QLineEdit* prefix_ = nullptr;
};

}  // namespace lathe::ui::run_form
