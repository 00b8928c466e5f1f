#include <fstream>
#include <optional>

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
    wait_for_probe(picker);
    EXPECT_TRUE(picker.is_valid()) << picker.error().toStdString();
    EXPECT_TRUE(picker.spec().embedded_corpus);
    // The fortunes are read and counted like any other data.
    EXPECT_FALSE(picker.preview_samples().isEmpty());
    EXPECT_GT(picker.probe().estimated_tokens, 100000);
}

// Byte-level tokenizer (a preset's default): one token per byte, plus EOS per document, so every
// count is known here. Paragraph samples of a txt file.
TEST_F(DatasetPickerTest, PreviewShowsTokenCountsAndTheTotalIsExactWhenEverythingIsRead) {
    QTemporaryDir dir;
    const auto path = dir.filePath("data.txt");
    {
        std::ofstream out(path.toStdString());
        out << "hello world\n\nsecond paragraph here\n\nthird\n";
    }
    DatasetPicker picker;
    picker.set_tokenizer(core::run::ModelSpec{}, core::run::TokenizerSpec{});
    core::run::DatasetSpec spec;
    spec.train_files = {path.toStdString()};
    spec.validation_split_percent = 0;
    spec.block_size = 4;
    picker.set_spec(spec);
    wait_for_probe(picker);
    ASSERT_TRUE(picker.is_valid()) << picker.error().toStdString();
    const auto& probe = picker.probe();
    EXPECT_EQ(probe.tokenizer, "byte-level");
    EXPECT_EQ(probe.vocab_size, 257);
    EXPECT_EQ(probe.sample_tokens, (std::vector<std::int64_t>{11, 21, 5}));
    EXPECT_TRUE(probe.exact);
    EXPECT_EQ(probe.estimated_tokens, 11 + 21 + 5 + 3);
    EXPECT_EQ(picker.train_blocks(42), std::optional<std::int64_t>(40 / 4));
    EXPECT_TRUE(picker.estimate_text().contains("40 tokens in 3 documents (counted)"))
        << picker.estimate_text().toStdString();

    // Past the counting budget the total is scaled from the file sizes, and says so.
    QTemporaryDir big_dir;
    const auto big = big_dir.filePath("big.txt");
    {
        std::ofstream out(big.toStdString());
        for (int i = 0; i < 40000; ++i)
            out << "paragraph " << i << " with some words in it\n\n";
    }
    ProbeRequest request;
    request.train_files = {big.toStdString()};
    request.text.txt_sample_by = core::data::TxtSampleBy::Paragraph;
    request.count_text_bytes = 64 * 1024;
    const auto scaled = probe_dataset(request);
    ASSERT_TRUE(scaled.error.empty()) << scaled.error;
    EXPECT_FALSE(scaled.exact);
    EXPECT_TRUE(scaled.document_tokens.empty());
    EXPECT_LT(scaled.documents_counted, 40000);
    // Every paragraph is ~33 bytes + EOS: the scaled total is within 5 % of the true one.
    std::int64_t truth = 0;
    for (int i = 0; i < 40000; ++i)
        truth += static_cast<std::int64_t>(
                     ("paragraph " + std::to_string(i) + " with some words in it").size()) +
                 1;
    EXPECT_NEAR(static_cast<double>(scaled.estimated_tokens), static_cast<double>(truth),
                0.05 * static_cast<double>(truth));
}

}  // namespace
}  // namespace lathe::ui::run_form
