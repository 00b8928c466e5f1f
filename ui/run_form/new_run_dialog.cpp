#include "ui/run_form/new_run_dialog.h"

#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include "core/run/run_config.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"

namespace lathe::ui::run_form {

NewRunDialog::NewRunDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle("New run");
    name_ = new QLineEdit(this);
    name_->setPlaceholderText("run name");
    model_ = new ModelPicker;
    dataset_ = new DatasetPicker;
    training_ = new TrainingArgumentsForm;
    run_json_view_ = new QPlainTextEdit;
    run_json_view_->setReadOnly(true);
    run_json_view_->setObjectName("run_json");
    dry_output_ = new QPlainTextEdit(this);
    dry_output_->setReadOnly(true);
    dry_output_->setObjectName("dry_run_output");
    dry_output_->setMaximumHeight(120);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    dry_runner_ = new DryRunner(this);

    auto* tabs = new QTabWidget(this);
    tabs->addTab(model_, "Model");
    tabs->addTab(dataset_, "Data");
    tabs->addTab(training_, "Training arguments");
    tabs->addTab(run_json_view_, "run.json");

    dry_run_ = new QPushButton("Dry run", this);
    auto* save = new QPushButton("Save preset…", this);
    auto* load = new QPushButton("Load preset…", this);
    launch_ = new QPushButton("Launch", this);
    launch_->setDefault(true);
    auto* cancel = new QPushButton("Cancel", this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(save);
    buttons->addWidget(load);
    buttons->addStretch();
    buttons->addWidget(dry_run_);
    buttons->addWidget(cancel);
    buttons->addWidget(launch_);

    auto* name_row = new QFormLayout;
    name_row->addRow("Name", name_);
    target_ = new LaunchTargetPicker(this);
    name_row->addRow("Where", target_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(name_row);
    layout->addWidget(tabs, 1);
    layout->addWidget(status_);
    layout->addWidget(dry_output_);
    layout->addLayout(buttons);

    connect(name_, &QLineEdit::textChanged, this, &NewRunDialog::recheck);
    connect(target_, &LaunchTargetPicker::changed, this, &NewRunDialog::recheck);
    connect(model_, &ModelPicker::changed, this, &NewRunDialog::recheck);
    connect(dataset_, &DatasetPicker::changed, this, &NewRunDialog::recheck);
    connect(training_, &TrainingArgumentsForm::valuesChanged, this, &NewRunDialog::recheck);
    connect(dry_run_, &QPushButton::clicked, this, &NewRunDialog::start_dry_run);
    connect(dry_runner_, &DryRunner::finished, this, [this](bool ok, const QString& output) {
        dry_output_->setPlainText(output);
        status_->setText(ok ? "Dry run passed." : "Dry run failed.");
        dry_run_->setEnabled(is_valid());
        emit dryRunFinished(ok, output);
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const auto path =
            QFileDialog::getSaveFileName(this, "Save preset", QString(), "JSON (*.json)");
        if (!path.isEmpty())
            save_preset(path);
    });
    connect(load, &QPushButton::clicked, this, [this] {
        const auto path =
            QFileDialog::getOpenFileName(this, "Load preset", QString(), "JSON (*.json)");
        if (!path.isEmpty())
            load_preset(path);
    });
    connect(launch_, &QPushButton::clicked, this, [this] {
        if (is_valid())
            emit launchRequested(run_json());
    });
    connect(cancel, &QPushButton::clicked, this, &QDialog::reject);
    recheck();
}

nlohmann::json NewRunDialog::run_json() const {
    core::run::RunConfig config;
    config.name = name_->text().toStdString();
    config.model = model_->spec();
    config.dataset = dataset_->spec();
    config.training_args = training_->values();
    return core::run::to_json(config);
}

void NewRunDialog::recheck() {
    const auto json = run_json();
    run_json_view_->setPlainText(QString::fromStdString(json.dump(2)));
    QString problem;
    if (name_->text().trimmed().isEmpty())
        problem = "Give the run a name.";
    else if (!model_->is_valid())
        problem = "Model: " + model_->error();
    else if (dataset_->is_probing())
        problem = "Data: reading the train file…";
    else if (!dataset_->is_valid())
        problem = "Data: " + dataset_->error();
    else if (!training_->is_valid())
        problem = "Training arguments: " + training_->error();
    else if (!target_->problem().isEmpty())
        problem = target_->problem();
    if (problem.isEmpty()) {
        // The last word is the engine's, on the exact object Launch would hand over.
        try {
            core::training_args::validate(core::run::parse_run_config(json, "run.json").args);
        } catch (const core::Error& e) {
            problem = QString::fromStdString(e.what());
        }
    }
    problem_ = problem;
    status_->setText(problem);
    launch_->setEnabled(problem.isEmpty());
    dry_run_->setEnabled(problem.isEmpty() && !dry_runner_->is_running());
}

void NewRunDialog::start_dry_run() {
    dry_run_->setEnabled(false);
    dry_output_->clear();
    status_->setText("Dry run…");
    dry_runner_->start(run_json());
}

bool NewRunDialog::save_preset(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        status_->setText(path + ": " + file.errorString());
        return false;
    }
    file.write(QByteArray::fromStdString(run_json().dump(2) + "\n"));
    status_->setText("Saved preset " + path);
    return true;
}

bool NewRunDialog::load_preset(const QString& path) {
    try {
        const auto parsed = core::run::load_run_config(path.toStdString());
        name_->setText(QString::fromStdString(parsed.config.name));
        model_->set_spec(parsed.config.model);
        dataset_->set_spec(parsed.config.dataset);
        training_->set_values(parsed.config.training_args);
    } catch (const core::Error& e) {
        status_->setText(QString::fromStdString(e.what()));
        return false;
    }
    recheck();
    return true;
}

}  // namespace lathe::ui::run_form
