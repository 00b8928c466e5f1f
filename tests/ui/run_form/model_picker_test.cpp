#include <fstream>

#include <gtest/gtest.h>
#include <QLocale>
#include <QTemporaryDir>

#include "core/models/model_config.h"
#include "tests/test_support.h"
#include "tests/ui/run_form/qt_app.h"
#include "ui/run_form/model_picker.h"

namespace lathe::ui::run_form {
namespace {

class ModelPickerTest : public ::testing::Test {
  protected:
    void SetUp() override { tests::qt_app(); }
};

TEST_F(ModelPickerTest, Gpt2FolderShowsTheEnginesParameterCount) {
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    {
        std::ifstream in(lathe::tests::fixture("trainer/tiny-gpt2-init/config.json"));
        std::ofstream out(dir.filePath("config.json").toStdString());
        out << in.rdbuf();
    }
    const auto config = core::models::load_model_config(dir.filePath("config.json").toStdString());
    const auto expected = core::models::count_parameters(config);

    ModelPicker picker;
    picker.set_folder(dir.path());
    ASSERT_TRUE(picker.is_valid()) << picker.error().toStdString();
    ASSERT_TRUE(picker.parameter_count().has_value());
    EXPECT_EQ(*picker.parameter_count(), expected);
    EXPECT_TRUE(picker.summary().contains(QLocale::c().toString(static_cast<qlonglong>(expected))));
    EXPECT_TRUE(picker.summary().contains("gpt2"));
    EXPECT_TRUE(picker.summary().contains("vocabulary 96"));
    EXPECT_TRUE(picker.summary().contains("max positions 32"));
    EXPECT_EQ(picker.spec().path, dir.path().toStdString());
    EXPECT_TRUE(picker.spec().preset.empty());
}

TEST_F(ModelPickerTest, FolderWithoutConfigShowsTheError) {
    QTemporaryDir dir;
    ModelPicker picker;
    picker.set_folder(dir.path());
    EXPECT_FALSE(picker.is_valid());
    EXPECT_TRUE(picker.error().contains("config.json")) << picker.error().toStdString();
    EXPECT_FALSE(picker.parameter_count().has_value());
}

TEST_F(ModelPickerTest, PresetFromScratchIsValid) {
    ModelPicker picker;
    picker.set_preset("gpt2-tiny");
    ASSERT_TRUE(picker.is_valid()) << picker.error().toStdString();
    EXPECT_EQ(picker.spec().preset, "gpt2-tiny");
    EXPECT_GT(picker.parameter_count().value_or(0), 0);
}

}  // namespace
}  // namespace lathe::ui::run_form
