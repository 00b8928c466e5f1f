#include <string>

#include <gtest/gtest.h>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>

#include "core/training_args/parse.h"
#include "core/training_args/schema.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "tests/ui/run_form/qt_app.h"
#include "ui/run_form/field_names_in_message.h"
#include "ui/run_form/training_arguments_form.h"

namespace lathe::ui::run_form {
namespace {

using nlohmann::json;
namespace ta = core::training_args;

// The engine's own message for these values, to compare with what the form shows.
std::string engine_message(const json& values) {
    try {
        ta::validate(ta::from_json(values, "training_args").args);
    } catch (const core::Error& e) {
        return e.what();
    }
    return {};
}

void type_into(FieldEditor* editor, const QString& text) {
    auto* line = qobject_cast<QLineEdit*>(editor->input());
    ASSERT_NE(line, nullptr) << editor->spec().name;
    line->setText(text);
}

class TrainingArgumentsFormTest : public ::testing::Test {
  protected:
    void SetUp() override { tests::qt_app(); }
};

TEST_F(TrainingArgumentsFormTest, EverySupportedFieldHasAnEditorShowingItsDefault) {
    TrainingArgumentsForm form;
    int supported = 0;
    for (const auto& spec : ta::schema()) {
        if (!spec.supported) {
            EXPECT_EQ(form.editor(spec.name), nullptr) << spec.name;
            continue;
        }
        ++supported;
        auto* editor = form.editor(spec.name);
        ASSERT_NE(editor, nullptr) << spec.name;
        json value;
        QString problem;
        ASSERT_TRUE(editor->read(value, problem)) << spec.name << ": " << problem.toStdString();
        EXPECT_EQ(value, spec.default_value) << spec.name;
        EXPECT_FALSE(editor->input()->toolTip().isEmpty()) << spec.name;
    }
    EXPECT_GT(supported, 40);
    EXPECT_EQ(form.values(), json::object());
    EXPECT_TRUE(form.is_valid());
    EXPECT_EQ(form.tabs()->count(), 6);
}

TEST_F(TrainingArgumentsFormTest, NegativeLearningRateShowsTheEnginesMessageUntilFixed) {
    TrainingArgumentsForm form;
    QSignalSpy validity(&form, &TrainingArgumentsForm::validityChanged);
    type_into(form.editor("learning_rate"), "-1");

    const auto expected = engine_message({{"learning_rate", -1.0}});
    ASSERT_FALSE(expected.empty());
    EXPECT_FALSE(form.is_valid());
    EXPECT_EQ(form.editor("learning_rate")->error().toStdString(), expected);
    EXPECT_TRUE(form.editor("weight_decay")->error().isEmpty());
    ASSERT_EQ(validity.count(), 1);
    EXPECT_FALSE(validity.at(0).at(0).toBool());

    type_into(form.editor("learning_rate"), "3e-4");
    EXPECT_TRUE(form.is_valid());
    EXPECT_TRUE(form.editor("learning_rate")->error().isEmpty());
    ASSERT_EQ(validity.count(), 2);
    EXPECT_TRUE(validity.at(1).at(0).toBool());
    EXPECT_EQ(form.values(), json({{"learning_rate", 3e-4}}));
}

TEST_F(TrainingArgumentsFormTest, LoadBestModelWithMismatchedStrategiesMarksTheNamedFields) {
    TrainingArgumentsForm form;
    const json values = {{"eval_strategy", "steps"},
                         {"eval_steps", 100},
                         {"save_strategy", "epoch"},
                         {"load_best_model_at_end", true}};
    form.set_values(values);
    const auto expected = engine_message(values);
    ASSERT_FALSE(expected.empty());
    EXPECT_FALSE(form.is_valid());
    EXPECT_EQ(form.error().toStdString(), expected);
    EXPECT_EQ(form.editor("load_best_model_at_end")->error().toStdString(), expected);

    form.editor("save_strategy")->write("steps");
    form.editor("save_steps")->write(200);
    EXPECT_TRUE(form.is_valid()) << form.error().toStdString();
}

TEST_F(TrainingArgumentsFormTest, TextThatIsNoValueOfTheTypeIsReportedLocally) {
    TrainingArgumentsForm form;
    auto* json_text = qobject_cast<QPlainTextEdit*>(form.editor("lr_scheduler_kwargs")->input());
    ASSERT_NE(json_text, nullptr);
    json_text->setPlainText("{\"num_cycles\": ");
    EXPECT_FALSE(form.is_valid());
    EXPECT_TRUE(form.editor("lr_scheduler_kwargs")->error().contains("invalid JSON"));
    json_text->setPlainText("{}");
    EXPECT_TRUE(form.is_valid());
}

TEST_F(TrainingArgumentsFormTest, ValuesRoundTripThroughSetValues) {
    const json values = {{"learning_rate", 3e-4},
                         {"max_steps", 200},
                         {"report_to", {"tensorboard"}},
                         {"optim", "sgd"},
                         {"run_name", "tiny"},
                         {"tf32", true},
                         {"greater_is_better", false},
                         {"eval_strategy", "steps"},
                         {"eval_steps", 0.25},
                         {"save_total_limit", 3},
                         {"resume_from_checkpoint", true},
                         {"lr_scheduler_kwargs", {{"min_lr", 1e-6}}},
                         {"lr_scheduler_type", "cosine_with_min_lr"},
                         {"bf16", true}};
    TrainingArgumentsForm form;
    form.set_values(values);
    EXPECT_TRUE(form.is_valid()) << form.error().toStdString();
    EXPECT_EQ(form.values(), values);

    TrainingArgumentsForm again;
    again.set_values(form.values());
    EXPECT_EQ(again.values(), values);
    again.set_values(json::object());
    EXPECT_EQ(again.values(), json::object());
}

TEST(FieldNamesInMessage, MatchesWholeWordsOnly) {
    const std::vector<std::string> names = {"seed", "data_seed", "eval_steps", "save_steps"};
    EXPECT_EQ(field_names_in_message("data_seed must be in [0, 2^32 - 1]", names),
              std::vector<std::string>{"data_seed"});
    EXPECT_EQ(field_names_in_message("needs save_steps (3) a multiple of eval_steps (2)", names),
              (std::vector<std::string>{"eval_steps", "save_steps"}));
    EXPECT_TRUE(field_names_in_message("unknown key", names).empty());
}

}  // namespace
}  // namespace lathe::ui::run_form
