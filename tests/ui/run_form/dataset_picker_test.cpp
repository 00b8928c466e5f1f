#include <fstream>

#include <gtest/gtest.h>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "tests/ui/run_form/qt_app.h"
#include "ui/run_form/dataset_picker.h"

namespace lathe::ui::run_form {
namespace {

class DatasetPickerTest : public ::testing::Test {
  protected:
    void SetUp() override { tests::qt_app(); }
};

// The probe runs on a worker thread: wait for its result on the event loop.
void wait_for_probe(DatasetPicker& picker) {
    QSignalSpy probed(&picker, &DatasetPicker::probed);
    if (picker.is_probing()) {
        ASSERT_TRUE(probed.wait(10000));
    }
}

TEST_F(DatasetPickerTest, DetectsJsonlAndListsItsFields) {
    QTemporaryDir dir;
    const auto path = dir.filePath("data.jsonl");
    {
        std::ofstream out(path.toStdString());
        out << R"({"body": "first sample", "id": 1})"
            << "\n"
            << R"({"body": "second sample", "id": 2})"
            << "\n";
    }
    DatasetPicker picker;
    picker.set_train_files({path});
    EXPECT_TRUE(picker.is_probing());
    wait_for_probe(picker);
    EXPECT_EQ(picker.detected_format(), "jsonl");
    EXPECT_EQ(picker.fields(), QStringList({"body", "id"}));
    // The default field "text" is not there: the engine says so.
    EXPECT_FALSE(picker.is_valid());
    EXPECT_TRUE(picker.error().contains("text")) << picker.error().toStdString();

    picker.set_text_field("body");
    wait_for_probe(picker);
    EXPECT_TRUE(picker.is_valid()) << picker.error().toStdString();
    EXPECT_EQ(picker.preview_samples(), QStringList({"first sample", "second sample"}));
    EXPECT_EQ(picker.spec().text_field, "body");
    ASSERT_EQ(picker.spec().train_files.size(), 1u);
}

TEST_F(DatasetPickerTest, MissingFileIsAnError) {
    DatasetPicker picker;
    picker.set_train_files({"/nonexistent/lathe/data.txt"});
    wait_for_probe(picker);
    EXPECT_FALSE(picker.is_valid());
    EXPECT_TRUE(picker.error().contains("/nonexistent/lathe/data.txt"))
        << picker.error().toStdString();
}

TEST_F(DatasetPickerTest, NoFilesIsInvalidUnlessTheEmbeddedCorpusIsChosen) {
    DatasetPicker picker;
    EXPECT_FALSE(picker.is_valid());
    core::run::DatasetSpec spec;
    spec.embedded_corpus = true;
    picker.set_spec(spec);
    EXPECT_TRUE(picker.is_valid());
    EXPECT_TRUE(picker.spec().embedded_corpus);
}

}  // namespace
}  // namespace lathe::ui::run_form
