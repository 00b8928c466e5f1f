#include "core/data/embedded_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/data/clm_dataset.h"
#include "tests/core/data/data_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::data {
namespace {

namespace fs = std::filesystem;
using lathe::tests::error_of;
using lathe::tests::temp_dir;
using lathe::tests::write_text;

TEST(DataEmbeddedCorpus, ListsTextFilesSkipsIndexesAndLatin1) {
    auto dir = temp_dir("corpus");
    write_text(dir, "b-utf8", "caf\xC3\xA9\n%\nsecond\n");
    write_text(dir, "a-plain", "one\n%\ntwo\n");
    write_text(dir, "a-plain.dat", std::string("\0\0\0\2", 4));
    fs::create_symlink(dir / "a-plain", dir / "a-plain.u8");
    write_text(dir, "old-latin1", "caf\xE9\n");
    fs::create_directories(dir / "off");
    write_text(dir / "off", "rude", "x\n");
    std::vector<std::string> skipped;
    auto files = embedded_corpus_files_in(dir.string(), &skipped);
    EXPECT_EQ(files,
              (std::vector<std::string>{(dir / "a-plain").string(), (dir / "b-utf8").string()}));
    ASSERT_EQ(skipped.size(), 1u);
    EXPECT_NE(skipped[0].find("old-latin1:1: not valid UTF-8"), std::string::npos) << skipped[0];
    EXPECT_EQ(read_documents(files[1], embedded_corpus_text_options()),
              (std::vector<std::string>{"caf\xC3\xA9", "second"}));
}

TEST(DataEmbeddedCorpus, MissingCorpusHintsAtThePackage) {
    auto dir = temp_dir("corpus-empty");
    EXPECT_CONTAINS(error_of([&] { embedded_corpus_files_in(dir.string()); }),
                    "apt-get install fortunes");
    EXPECT_CONTAINS(error_of([&] { embedded_corpus_files_in((dir / "absent").string()); }),
                    "apt-get install fortunes");
}

TEST(DataEmbeddedCorpus, InstalledFortunesAreReadable) {
    if (!fs::is_directory(kEmbeddedCorpusDir)) {
        GTEST_SKIP() << kEmbeddedCorpusDir << " is absent (apt-get install fortunes)";
    }
    auto files = embedded_corpus_files();
    ASSERT_FALSE(files.empty());
    EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
    std::size_t samples = 0;
    for (const auto& f : files) {
        EXPECT_EQ(f.find(".dat"), std::string::npos) << f;
        EXPECT_EQ(f.find(".u8"), std::string::npos) << f;
        samples += read_documents(f, embedded_corpus_text_options()).size();
    }
    EXPECT_GT(samples, 1000u);
    const auto options = embedded_corpus_text_options();
    EXPECT_EQ(options.format, TextFormat::Txt);
    EXPECT_EQ(options.txt_sample_by, TxtSampleBy::SeparatorLine);
    EXPECT_EQ(options.txt_separator, "%");

    DatasetOptions dataset;
    dataset.train_files = files;
    dataset.text = options;
    dataset.use_cache = false;
    auto data = prepare_causal_lm(dataset, tokenizer::Tokenizer::byte_level());
    EXPECT_EQ(data.documents, static_cast<std::int64_t>(samples));
    EXPECT_GT(data.train.size(), 1000);
    EXPECT_GT(data.validation.size(), 10);
}

}  // namespace
}  // namespace lathe::core::data
