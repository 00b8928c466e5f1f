#include <fstream>

#include <gtest/gtest.h>
#include <QAction>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include "core/run/run_config.h"
#include "core/training_args/validate.h"
#include "tests/ui/run_form/qt_app.h"

#include "ui/run_form/new_run_dialog.h"
#include "ui/run_form/recent_paths.h"

namespace lathe::ui::run_form {
namespace {

using nlohmann::json;

class NewRunDialogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        tests::qt_app();
        ASSERT_TRUE(dir_.isValid());
        data_path_ = dir_.filePath("train.jsonl");
        std::ofstream out(data_path_.toStdString());
        for (int i = 0; i < 20; ++i)
            out << json({{"text", "sample number " + std::to_string(i)}}).dump() << "\n";
    }

    // A dialog filled the way a user would: name, preset, data, a few arguments.
    void fill(NewRunDialog& dialog) {
        dialog.set_name("tiny");
        dialog.model_picker()->set_preset("gpt2-tiny");
        dialog.dataset_picker()->set_train_files({data_path_});
        wait_for_probe(dialog);
        dialog.training_form()->set_values({{"max_steps", 10}, {"learning_rate", 1e-3}});
    }

    static void wait_for_probe(NewRunDialog& dialog) {
        QSignalSpy probed(dialog.dataset_picker(), &DatasetPicker::probed);
        if (dialog.dataset_picker()->is_probing()) {
            ASSERT_TRUE(probed.wait(10000));
        }
    }

    QTemporaryDir dir_;
    QString data_path_;
};

TEST_F(NewRunDialogTest, FilledDialogGivesARunJsonTheEngineAccepts) {
    NewRunDialog dialog;
    EXPECT_FALSE(dialog.launch_button()->isEnabled());  // no name, no data yet
    fill(dialog);
    ASSERT_TRUE(dialog.is_valid()) << dialog.problem().toStdString();
    EXPECT_TRUE(dialog.launch_button()->isEnabled());

    const auto run = dialog.run_json();
    const auto parsed = core::run::parse_run_config(run, "run.json");
    EXPECT_NO_THROW(core::training_args::validate(parsed.args));
    EXPECT_EQ(parsed.config.name, "tiny");
    EXPECT_EQ(parsed.config.model.preset, "gpt2-tiny");
    EXPECT_EQ(parsed.config.dataset.train_files.at(0), data_path_.toStdString());
    EXPECT_EQ(parsed.args.max_steps, 10);
    EXPECT_DOUBLE_EQ(parsed.args.learning_rate, 1e-3);

    json launched;
    QObject::connect(&dialog, &NewRunDialog::launchRequested,
                     [&launched](const json& j) { launched = j; });
    dialog.launch_button()->click();
    EXPECT_EQ(launched, run);
}

TEST_F(NewRunDialogTest, InvalidArgumentDisablesLaunchUntilFixed) {
    NewRunDialog dialog;
    fill(dialog);
    ASSERT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();

    auto* editor = dialog.training_form()->editor("learning_rate");
    qobject_cast<QLineEdit*>(editor->input())->setText("-1");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(editor->error().contains("learning_rate")) << editor->error().toStdString();
    EXPECT_TRUE(dialog.problem().contains("learning_rate"));

    qobject_cast<QLineEdit*>(editor->input())->setText("0.001");
    EXPECT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
}

TEST_F(NewRunDialogTest, WherePicksHostsProcessesGpusAndRestarts) {
    NewRunDialog dialog;
    fill(dialog);
    auto* where = dialog.target_picker();
    EXPECT_EQ(where->choice().target, "local");
    where->host_box()->setEditText("gpu1, gpu2");
    where->processes_box()->setValue(4);
    where->gpus_edit()->setText("0,2");
    where->max_failures_box()->setValue(3);
    ASSERT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
    const auto choice = where->choice();
    EXPECT_EQ(choice.target, "ssh:gpu1");
    EXPECT_EQ(choice.extra_hosts, QStringList{"gpu2"});
    EXPECT_EQ(choice.processes, 4);
    EXPECT_EQ(choice.gpus, "0,2");
    EXPECT_EQ(choice.max_failures, 3);

    where->gpus_edit()->setText("0;2");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("gpus = \"0;2\"")) << dialog.problem().toStdString();
    // One list per host, by the run manager's rule: every host named, lists of equal length.
    where->gpus_edit()->setText("gpu1=0,1;gpu2=2,3");
    EXPECT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
    // Processes auto: one rank per listed GPU, 2 on each of the 2 hosts; batch 8 each.
    where->processes_box()->setValue(0);
    EXPECT_TRUE(dialog.findChild<QLabel*>("dataset_plan")->text().contains("(global batch 32)"))
        << dialog.findChild<QLabel*>("dataset_plan")->text().toStdString();
    where->gpus_edit()->setText("gpu1=0,1");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("no GPUs listed for host \"gpu2\""))
        << dialog.problem().toStdString();
    where->gpus_edit()->setText("");
    where->host_box()->setEditText("gpu 1 $(rm)");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("Host")) << dialog.problem().toStdString();
    where->host_box()->setEditText("This machine");
    EXPECT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
    EXPECT_EQ(where->choice().target, "local");
}

// A SLURM job through a login host: the resources become the run's "slurm" options, checked by
// the sbatch script's own rules before anything is submitted.
TEST_F(NewRunDialogTest, SlurmFieldsMakeASlurmTargetCheckedByTheScriptsRules) {
    NewRunDialog dialog;
    fill(dialog);
    auto* where = dialog.target_picker();
    auto* slurm = where->slurm_editor();
    slurm->set_enabled(true);
    EXPECT_FALSE(dialog.launch_button()->isEnabled());  // this machine is no login node
    EXPECT_TRUE(dialog.problem().contains("login host")) << dialog.problem().toStdString();
    where->host_box()->setEditText("login");
    where->processes_box()->setValue(4);
    slurm->nodes_box()->setValue(2);
    slurm->gpus_per_node_box()->setValue(4);
    slurm->time_edit()->setText("12:00:00");
    slurm->partition_edit()->setText("gpu");
    slurm->account_edit()->setText("ml");
    slurm->sbatch_lines_edit()->setPlainText("#SBATCH --qos=high\n");
    slurm->prefix_edit()->setText("module load slurm &&");
    ASSERT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
    const auto choice = where->choice();
    EXPECT_EQ(choice.target, "slurm:login");
    EXPECT_EQ(choice.slurm, json({{"nodes", 2},
                                  {"gpus_per_node", 4},
                                  {"time_limit", "12:00:00"},
                                  {"partition", "gpu"},
                                  {"account", "ml"},
                                  {"command_prefix", "module load slurm &&"},
                                  {"extra_sbatch_lines", {"#SBATCH --qos=high"}}}));
    // The estimate counts every rank of the job: 2 nodes x 4 tasks.
    EXPECT_TRUE(dialog.findChild<QLabel*>("dataset_plan")->text().contains("global batch"))
        << dialog.findChild<QLabel*>("dataset_plan")->text().toStdString();

    slurm->time_edit()->setText("soon");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("soon")) << dialog.problem().toStdString();
    slurm->time_edit()->setText("");
    slurm->sbatch_lines_edit()->setPlainText("--qos=high");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("#SBATCH")) << dialog.problem().toStdString();
    slurm->sbatch_lines_edit()->setPlainText("");
    where->gpus_edit()->setText("0,1");
    EXPECT_TRUE(dialog.problem().contains("GPUs per node")) << dialog.problem().toStdString();
    where->gpus_edit()->setText("");
    slurm->set_enabled(false);
    EXPECT_EQ(where->choice().target, "ssh:login");
    EXPECT_TRUE(where->choice().slurm.is_null());
}

TEST_F(NewRunDialogTest, KnownHostsJoinTheListAndShowTheirGpus) {
    NewRunDialog dialog;
    auto* where = dialog.target_picker();
    EXPECT_TRUE(where->gpu_info_label()->isHidden());
    where->set_known_hosts({{"this machine", "no GPU (nvidia-smi: not found): CPU only"},
                            {"gpu1", "GPU 0 NVIDIA H200 (101.2 GiB free, 87% busy)"},
                            {"gpu2", ""}});
    EXPECT_GE(where->host_box()->findText("gpu1"), 0);
    EXPECT_GE(where->host_box()->findText("gpu2"), 0);
    EXPECT_EQ(where->host_box()->findText("this machine"), -1);  // "This machine" is there once
    EXPECT_EQ(where->gpu_info_label()->text(), "no GPU (nvidia-smi: not found): CPU only");
    where->host_box()->setCurrentText("gpu1");
    EXPECT_EQ(where->gpu_info_label()->text(), "GPU 0 NVIDIA H200 (101.2 GiB free, 87% busy)");
    EXPECT_FALSE(where->gpu_info_label()->isHidden());
    where->host_box()->setEditText("gpu1,gpu2");  // a multi-node run: its first node's GPUs
    EXPECT_EQ(where->gpu_info_label()->text(), "GPU 0 NVIDIA H200 (101.2 GiB free, 87% busy)");
    where->host_box()->setEditText("gpu2");  // never probed: nothing to show
    EXPECT_TRUE(where->gpu_info_label()->isHidden());
}

TEST_F(NewRunDialogTest, MismatchedBestModelStrategiesDisableLaunch) {
    NewRunDialog dialog;
    fill(dialog);
    dialog.training_form()->set_values({{"max_steps", 10},
                                        {"eval_strategy", "steps"},
                                        {"eval_steps", 5},
                                        {"save_strategy", "epoch"},
                                        {"load_best_model_at_end", true}});
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_FALSE(dialog.dry_run_button()->isEnabled());
    const auto shown = dialog.training_form()->editor("load_best_model_at_end")->error();
    EXPECT_FALSE(shown.isEmpty());
    EXPECT_TRUE(dialog.problem().contains(shown)) << dialog.problem().toStdString();

    dialog.training_form()->editor("save_strategy")->write("steps");
    dialog.training_form()->editor("save_steps")->write(10);
    EXPECT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
}

TEST_F(NewRunDialogTest, PresetSavesAndLoadsTheSameRun) {
    NewRunDialog dialog;
    fill(dialog);
    const auto preset = dir_.filePath("preset.json");
    ASSERT_TRUE(dialog.save_preset(preset));

    NewRunDialog loaded;
    ASSERT_TRUE(loaded.load_preset(preset)) << loaded.status().toStdString();
    wait_for_probe(loaded);
    EXPECT_EQ(loaded.run_json(), dialog.run_json());
    EXPECT_TRUE(loaded.launch_button()->isEnabled()) << loaded.problem().toStdString();

    QFile broken(dir_.filePath("broken.json"));
    ASSERT_TRUE(broken.open(QIODevice::WriteOnly));
    broken.write("{\"name\": ");
    broken.close();
    EXPECT_FALSE(loaded.load_preset(broken.fileName()));
    EXPECT_TRUE(loaded.status().contains("broken.json")) << loaded.status().toStdString();
}

TEST_F(NewRunDialogTest, DryRunShowsTheProgramsOutputOrWhyItFailed) {
    NewRunDialog dialog;
    fill(dialog);
    // A stand-in for lathe-train: prints its arguments and the run name it was given.
    const auto script = dir_.filePath("fake-lathe-train");
    {
        std::ofstream out(script.toStdString());
        out << "#!/bin/sh\necho \"args: $1 $3\"\ngrep -o '\"tiny\"' \"$2\"\n";
    }
    QFile::setPermissions(script, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    dialog.set_dry_run_program(script);

    QSignalSpy finished(&dialog, &NewRunDialog::dryRunFinished);
    dialog.dry_run_button()->click();
    ASSERT_TRUE(finished.wait(10000));
    EXPECT_TRUE(finished.at(0).at(0).toBool());
    EXPECT_TRUE(dialog.dry_run_output().contains("args: --config --dry-run"))
        << dialog.dry_run_output().toStdString();
    EXPECT_TRUE(dialog.dry_run_output().contains("\"tiny\""));

    dialog.set_dry_run_program(dir_.filePath("no-such-program"));
    dialog.dry_run_button()->click();
    ASSERT_TRUE(finished.wait(10000));
    EXPECT_FALSE(finished.at(1).at(0).toBool());
    EXPECT_TRUE(dialog.dry_run_output().contains("no-such-program"));
}

// The Data tab's estimate uses the trainer's own step arithmetic on the counted documents, with
// the engine's validation split: it must say what lathe-train --dry-run says (the engine
// tokenizes, splits and cuts the blocks itself).
TEST_F(NewRunDialogTest, StepEstimateEqualsTheEnginesDryRun) {
    const auto text_path = dir_.filePath("fortunes.txt");
    {
        std::ofstream out(text_path.toStdString());
        for (int i = 0; i < 300; ++i) {
            out << "Fortune number " << i << ": "
                << std::string(static_cast<std::size_t>(i % 37), 'x') << " the end.\n\n";
        }
    }
    NewRunDialog dialog;
    dialog.set_name("estimate");
    dialog.model_picker()->set_preset("gpt2-tiny");
    core::run::DatasetSpec spec;
    spec.train_files = {text_path.toStdString()};
    spec.validation_split_percent = 10;
    spec.block_size = 16;
    dialog.dataset_picker()->set_spec(spec);
    wait_for_probe(dialog);
    dialog.training_form()->set_values({{"per_device_train_batch_size", 4},
                                        {"gradient_accumulation_steps", 3},
                                        {"num_train_epochs", 2.5},
                                        {"seed", 7}});
    ASSERT_TRUE(dialog.is_valid()) << dialog.problem().toStdString();
    const QString plan = dialog.findChild<QLabel*>("dataset_plan")->text();
    const QRegularExpression ours(
        R"(^([\d,]+) training blocks of 16 tokens → ([\d,]+) optimizer steps per epoch .*; ([\d,]+) steps in (\d+) epochs)");
    const auto mine = ours.match(plan);
    ASSERT_TRUE(mine.hasMatch()) << plan.toStdString();
    auto number = [](QString text) { return text.remove(',').toLongLong(); };

    const auto config_path = dir_.filePath("run.json");
    {
        std::ofstream out(config_path.toStdString());
        out << dialog.run_json().dump(2);
    }
    QProcess dry_run;
    dry_run.start(LATHE_TRAIN_BINARY, {"--config", config_path, "--dry-run"});
    ASSERT_TRUE(dry_run.waitForFinished(120000));
    const QString output = dry_run.readAllStandardOutput();
    ASSERT_EQ(dry_run.exitCode(), 0)
        << output.toStdString() << dry_run.readAllStandardError().toStdString();
    const auto blocks =
        QRegularExpression(R"(data\s+(\d+) train / \d+ eval blocks of 16)").match(output);
    const auto steps =
        QRegularExpression(R"((\d+) optimizer steps/epoch, (\d+) steps in (\d+) epochs)")
            .match(output);
    ASSERT_TRUE(blocks.hasMatch() && steps.hasMatch()) << output.toStdString();
    EXPECT_EQ(number(mine.captured(1)), blocks.captured(1).toLongLong()) << plan.toStdString();
    EXPECT_EQ(number(mine.captured(2)), steps.captured(1).toLongLong());
    EXPECT_EQ(number(mine.captured(3)), steps.captured(2).toLongLong());
    EXPECT_EQ(number(mine.captured(4)), steps.captured(3).toLongLong());
}

// The Model tab's tokenizer and config overrides and the Samples tab go into run.json, and a
// preset brings them back.
TEST_F(NewRunDialogTest, TokenizerOverridesAndSamplePromptRoundTrip) {
    NewRunDialog dialog;
    fill(dialog);
    const auto before = dialog.model_picker()->parameter_count();
    dialog.model_picker()->set_config_overrides(R"({"n_layer": 1})");
    ASSERT_TRUE(dialog.model_picker()->is_valid()) << dialog.model_picker()->error().toStdString();
    EXPECT_LT(*dialog.model_picker()->parameter_count(), *before);
    dialog.sample_editor()->prompt_edit()->setText("Once upon a time");
    core::run::TokenizerSpec byte_level;
    byte_level.byte_level = true;
    dialog.tokenizer_picker()->set_spec(byte_level);
    emit dialog.tokenizer_picker()->changed();
    wait_for_probe(dialog);
    ASSERT_TRUE(dialog.is_valid()) << dialog.problem().toStdString();
    EXPECT_TRUE(dialog.tokenizer_picker()->status().contains("vocabulary 257"))
        << dialog.tokenizer_picker()->status().toStdString();

    const json run = dialog.run_json();
    EXPECT_EQ(run["model"]["config_overrides"], json({{"n_layer", 1}}));
    EXPECT_EQ(run["sample"]["prompt"], "Once upon a time");
    EXPECT_EQ(run["tokenizer"]["byte_level"], true);

    const auto preset = dir_.filePath("preset.json");
    ASSERT_TRUE(dialog.save_preset(preset));
    NewRunDialog loaded;
    ASSERT_TRUE(loaded.load_preset(preset)) << loaded.status().toStdString();
    wait_for_probe(loaded);
    EXPECT_EQ(loaded.run_json(), run);

    // Broken overrides: the engine's message, Launch off.
    dialog.model_picker()->set_config_overrides(R"({"n_layer": "two"})");
    EXPECT_FALSE(dialog.is_valid());
    EXPECT_TRUE(dialog.problem().contains("n_layer")) << dialog.problem().toStdString();
    EXPECT_FALSE(dialog.launch_button()->isEnabled());

    // A tokenizer file that does not exist is named on the Model tab.
    dialog.model_picker()->set_config_overrides("");
    dialog.tokenizer_picker()->choice_box()->setCurrentIndex(2);
    dialog.tokenizer_picker()->path_edit()->setText(dir_.filePath("missing-tokenizer.json"));
    emit dialog.tokenizer_picker()->changed();
    wait_for_probe(dialog);
    EXPECT_FALSE(dialog.is_valid());
    EXPECT_TRUE(dialog.tokenizer_picker()->status().contains("missing-tokenizer.json"))
        << dialog.tokenizer_picker()->status().toStdString();
}

// Saved and loaded presets are offered again by "Load preset" in a later dialog (QSettings), most
// recent first; one that was deleted is not.
TEST_F(NewRunDialogTest, RecentPresetsAreOfferedAgain) {
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir_.filePath("settings"));
    QSettings().clear();
    NewRunDialog dialog;
    fill(dialog);
    const auto first = dir_.filePath("first.json");
    const auto second = dir_.filePath("second.json");
    ASSERT_TRUE(dialog.save_preset(first));
    dialog.set_name("renamed");
    ASSERT_TRUE(dialog.save_preset(second));
    EXPECT_EQ(recent_presets(), QStringList({second, first}));
    EXPECT_EQ(last_folder("presets"), dir_.path());

    NewRunDialog later;
    later.fill_recent_menu();
    const auto actions = later.recent_presets_menu()->actions();
    ASSERT_GE(actions.size(), 3);  // second, first, separator, Browse…
    EXPECT_TRUE(actions[0]->text().contains(second));
    actions[1]->trigger();  // first.json
    wait_for_probe(later);
    EXPECT_EQ(later.run_json()["name"], "tiny");
    EXPECT_EQ(recent_presets(), QStringList({first, second}));

    QFile::remove(second);
    EXPECT_EQ(recent_presets(), QStringList({first}));
}

}  // namespace
}  // namespace lathe::ui::run_form
