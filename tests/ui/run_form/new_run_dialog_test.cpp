#include <fstream>

#include <gtest/gtest.h>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include "core/run/run_config.h"
#include "core/training_args/validate.h"
#include "tests/ui/run_form/qt_app.h"

#include "ui/run_form/new_run_dialog.h"

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
    EXPECT_TRUE(dialog.problem().contains("GPUs = \"0;2\"")) << dialog.problem().toStdString();
    where->gpus_edit()->setText("");
    where->host_box()->setEditText("gpu 1 $(rm)");
    EXPECT_FALSE(dialog.launch_button()->isEnabled());
    EXPECT_TRUE(dialog.problem().contains("Host")) << dialog.problem().toStdString();
    where->host_box()->setEditText("This machine");
    EXPECT_TRUE(dialog.launch_button()->isEnabled()) << dialog.problem().toStdString();
    EXPECT_EQ(where->choice().target, "local");
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

}  // namespace
}  // namespace lathe::ui::run_form
