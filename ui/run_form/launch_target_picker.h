#pragma once

#include <map>

#include <QString>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

#include "ui/run_form/slurm_options_editor.h"

namespace lathe::ui::run_form {

// Where and how wide a new run goes, as `lathe train` takes it: this machine or an SSH host
// (typed as `lathe hosts list` names it; several hosts separated by commas make one multi-node
// run), data-parallel processes per host, the GPUs to use, and automatic restarts.
struct LaunchTarget {
    QString target = QStringLiteral("local");  // "local", "ssh:NAME" or "slurm:LOGIN"
    QStringList extra_hosts;                   // nodes 1.. of a multi-node run
    int processes = 0;                         // 0: one per listed GPU, else 1
    QString gpus;                              // "0,2,3" or "" for all
    int max_failures = 0;
    nlohmann::json slurm;  // the job's resources for a "slurm:" target; null otherwise
};

class LaunchTargetPicker : public QWidget {
    Q_OBJECT

  public:
    explicit LaunchTargetPicker(QWidget* parent = nullptr);

    LaunchTarget choice() const;
    // Empty when the choice is valid; else what is wrong, naming the field.
    QString problem() const;

    QComboBox* host_box() const { return host_; }
    QSpinBox* processes_box() const { return processes_; }
    QLineEdit* gpus_edit() const { return gpus_; }
    QSpinBox* max_failures_box() const { return max_failures_; }
    QLabel* gpu_info_label() const { return gpu_info_; }
    SlurmOptionsEditor* slurm_editor() const { return slurm_; }

    // What the window knows of the machines (its hosts monitor): per host name ("this machine"
    // for this one) a line on its GPUs and their free memory. The names join the host list, and
    // the chosen host's line shows under the row to choose GPUs from.
    void set_known_hosts(const std::map<QString, QString>& gpu_lines);

  signals:
    void changed();

  private:
    QComboBox* host_ = nullptr;
    QSpinBox* processes_ = nullptr;
    SlurmOptionsEditor* slurm_ = nullptr;
    QLineEdit* gpus_ = nullptr;
    QSpinBox* max_failures_ = nullptr;
    QLabel* gpu_info_ = nullptr;
    std::map<QString, QString> gpu_lines_;
    void show_gpu_info();
};

}  // namespace lathe::ui::run_form
