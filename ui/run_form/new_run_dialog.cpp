#include "ui/run_form/new_run_dialog.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLocale>
#include <QMenu>
#include <QVBoxLayout>

#include "core/run/run_config.h"
#include "core/run_manager/gpu_lists.h"
#include "core/trainer/step_plan.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "ui/run_form/recent_paths.h"

namespace lathe::ui::run_form {

NewRunDialog::NewRunDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle("New run");
    name_ = new QLineEdit(this);
    name_->setPlaceholderText("run name");
    model_ = new ModelPicker;
    tokenizer_ = new TokenizerPicker;
    sample_ = new SampleEditor;
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
    auto* model_tab = new QWidget;
    auto* model_layout = new QVBoxLayout(model_tab);
    model_layout->addWidget(model_);
    auto* tokenizer_box = new QGroupBox("Tokenizer");
    (new QVBoxLayout(tokenizer_box))->addWidget(tokenizer_);
    model_layout->addWidget(tokenizer_box);
    model_layout->addStretch(1);
    tabs->addTab(model_tab, "Model");
    tabs->addTab(dataset_, "Data");
    tabs->addTab(training_, "Training arguments");
    tabs->addTab(sample_, "Samples");
    tabs->addTab(run_json_view_, "run.json");

    dry_run_ = new QPushButton("Dry run", this);
    auto* save = new QPushButton("Save preset…", this);
    // Load: the presets used lately (QSettings), or any file.
    auto* load = new QPushButton("Load preset", this);
    recent_menu_ = new QMenu(load);
    load->setMenu(recent_menu_);
    connect(recent_menu_, &QMenu::aboutToShow, this, &NewRunDialog::fill_recent_menu);
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
    connect(tokenizer_, &TokenizerPicker::changed, this, &NewRunDialog::recheck);
    connect(sample_, &SampleEditor::changed, this, &NewRunDialog::recheck);
    // The tokenizer is loaded where the data is counted (off this thread); what it is shows on
    // the Model tab, and a preset's vocabulary follows it.
    auto retokenize = [this] { dataset_->set_tokenizer(model_->spec(), tokenizer_->spec()); };
    connect(model_, &ModelPicker::changed, this, retokenize);
    connect(tokenizer_, &TokenizerPicker::changed, this, retokenize);
    connect(dataset_, &DatasetPicker::probed, this, [this] {
        const auto& probe = dataset_->probe();
        if (probe.vocab_size > 0) {
            tokenizer_->set_status(QStringLiteral("%1: vocabulary %2")
                                       .arg(QString::fromStdString(probe.tokenizer))
                                       .arg(probe.vocab_size),
                                   false);
            model_->set_vocab_size(probe.vocab_size);
        } else if (!probe.tokenizer.empty() || probe.error.find("tokenizer") != std::string::npos) {
            tokenizer_->set_status(QString::fromStdString(probe.error), true);
        }
    });
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
        const auto path = QFileDialog::getSaveFileName(this, "Save preset", last_folder("presets"),
                                                       "JSON (*.json)");
        if (!path.isEmpty())
            save_preset(path);
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
    config.tokenizer = tokenizer_->spec();
    config.dataset = dataset_->spec();
    config.sample = sample_->spec();
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
    update_plan(json);
    problem_ = problem;
    status_->setText(problem);
    launch_->setEnabled(problem.isEmpty());
    dry_run_->setEnabled(problem.isEmpty() && !dry_runner_->is_running());
}

void NewRunDialog::update_plan(const nlohmann::json& json) {
    QString text;
    try {
        const auto args =
            core::training_args::resolved(core::run::parse_run_config(json, "run.json").args);
        const auto blocks =
            dataset_->train_blocks(static_cast<std::uint64_t>(args.data_seed.value_or(args.seed)));
        if (blocks) {
            const auto choice = target_->choice();
            // Processes per host: as asked, else one per listed GPU (the run manager's rule for
            // a plain or a per-host list), else one.
            std::vector<std::string> extra;
            for (const QString& host : choice.extra_hosts)
                extra.push_back(host.toStdString());
            const std::int64_t per_host = core::run_manager::ranks_per_host(
                choice.processes,
                choice.slurm.is_object() ? std::string() : choice.gpus.toStdString(),
                core::run_manager::run_hosts(choice.target.toStdString(), extra));
            const std::int64_t nodes =
                choice.slurm.is_object() ? choice.slurm.value("nodes", std::int64_t{1})
                                         : 1 + static_cast<std::int64_t>(choice.extra_hosts.size());
            const std::int64_t world = per_host * nodes;
            // Each process sees its shard of the blocks (DistributedSampler, padded).
            const auto plan = core::trainer::plan_steps(args, (*blocks + world - 1) / world, world);
            const QLocale locale;
            text = QStringLiteral(
                       "%1%2 training blocks of %3 tokens → %4 optimizer steps per epoch "
                       "(global batch %5); %6 steps in %7 epochs")
                       .arg(dataset_->probe().exact ? QString() : QStringLiteral("≈ "))
                       .arg(locale.toString(static_cast<qlonglong>(*blocks)))
                       .arg(dataset_->spec().block_size)
                       .arg(locale.toString(static_cast<qlonglong>(plan.updates_per_epoch)))
                       .arg(plan.global_batch_size)
                       .arg(locale.toString(static_cast<qlonglong>(plan.max_steps)))
                       .arg(plan.num_epochs);
        }
    } catch (const std::exception& e) {
        text = QString::fromStdString(e.what());
    }
    dataset_->set_plan_text(text);
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
    remember_preset(path);
    status_->setText("Saved preset " + path);
    return true;
}

bool NewRunDialog::load_preset(const QString& path) {
    try {
        const auto parsed = core::run::load_run_config(path.toStdString());
        name_->setText(QString::fromStdString(parsed.config.name));
        model_->set_spec(parsed.config.model);
        tokenizer_->set_spec(parsed.config.tokenizer);
        sample_->set_spec(parsed.config.sample);
        dataset_->set_tokenizer(parsed.config.model, parsed.config.tokenizer);
        dataset_->set_spec(parsed.config.dataset);
        training_->set_values(parsed.config.training_args);
    } catch (const core::Error& e) {
        status_->setText(QString::fromStdString(e.what()));
        return false;
    }
    remember_preset(path);
    recheck();
    return true;
}

void NewRunDialog::fill_recent_menu() {
    recent_menu_->clear();
    for (const QString& path : recent_presets()) {
        recent_menu_->addAction(QFileInfo(path).fileName() + "  —  " + path,
                                [this, path] { load_preset(path); });
    }
    if (!recent_menu_->isEmpty())
        recent_menu_->addSeparator();
    recent_menu_->addAction("Browse…", [this] {
        const auto path = QFileDialog::getOpenFileName(this, "Load preset", last_folder("presets"),
                                                       "JSON (*.json)");
        if (!path.isEmpty())
            load_preset(path);
    });
}

}  // namespace lathe::ui::run_form
