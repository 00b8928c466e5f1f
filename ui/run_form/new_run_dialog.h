#pragma once

#include <QDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QString>
#include <QTabWidget>
#include <nlohmann/json.hpp>

#include "ui/run_form/dataset_picker.h"
#include "ui/run_form/dry_runner.h"
#include "ui/run_form/launch_target_picker.h"
#include "ui/run_form/model_picker.h"
#include "ui/run_form/sample_editor.h"
#include "ui/run_form/tokenizer_picker.h"
#include "ui/run_form/training_arguments_form.h"

namespace lathe::ui::run_form {

// The New Run dialog: a name, the model, the data and the TrainingArguments, composed into the
// run.json that lathe-train reads. Launch stays disabled until the engine's own parse_run_config
// and validate() accept it. It does not start runs: launchRequested goes to the run manager.
class NewRunDialog : public QDialog {
    Q_OBJECT

  public:
    explicit NewRunDialog(QWidget* parent = nullptr);

    void set_name(const QString& name) { name_->setText(name); }
    // lathe-train for the dry run; default: beside this executable.
    void set_dry_run_program(const QString& path) { dry_runner_->set_program(path); }

    // A run.json object that core::run::parse_run_config accepts whenever is_valid().
    nlohmann::json run_json() const;
    bool is_valid() const { return problem_.isEmpty(); }
    // The first thing that keeps Launch disabled; empty when none.
    QString problem() const { return problem_; }

    // A preset is a run.json. Both return false and show why in the dialog on failure.
    bool save_preset(const QString& path);
    bool load_preset(const QString& path);
    QString status() const { return status_->text(); }
    // "Load preset"'s menu: the recent presets, then Browse…; rebuilt each time it opens.
    QMenu* recent_presets_menu() const { return recent_menu_; }
    void fill_recent_menu();

    ModelPicker* model_picker() const { return model_; }
    TokenizerPicker* tokenizer_picker() const { return tokenizer_; }
    SampleEditor* sample_editor() const { return sample_; }
    DatasetPicker* dataset_picker() const { return dataset_; }
    TrainingArgumentsForm* training_form() const { return training_; }
    // Where the run goes (this machine or SSH hosts), processes, GPUs, restarts.
    LaunchTargetPicker* target_picker() const { return target_; }
    QPushButton* launch_button() const { return launch_; }
    QPushButton* dry_run_button() const { return dry_run_; }
    QString dry_run_output() const { return dry_output_->toPlainText(); }

  signals:
    void launchRequested(const nlohmann::json& run_json);
    void dryRunFinished(bool ok, const QString& output);

  private:
    void recheck();
    // The dataset's training blocks through the trainer's step arithmetic, under the Data tab.
    void update_plan(const nlohmann::json& json);
    void start_dry_run();

    QLineEdit* name_ = nullptr;
    LaunchTargetPicker* target_ = nullptr;
    ModelPicker* model_ = nullptr;
    TokenizerPicker* tokenizer_ = nullptr;
    SampleEditor* sample_ = nullptr;
    DatasetPicker* dataset_ = nullptr;
    TrainingArgumentsForm* training_ = nullptr;
    QPlainTextEdit* run_json_view_ = nullptr;
    QPlainTextEdit* dry_output_ = nullptr;
    QLabel* status_ = nullptr;
    QPushButton* dry_run_ = nullptr;
    QPushButton* launch_ = nullptr;
    DryRunner* dry_runner_ = nullptr;
    QMenu* recent_menu_ = nullptr;
    QString problem_;
};

}  // namespace lathe::ui::run_form
