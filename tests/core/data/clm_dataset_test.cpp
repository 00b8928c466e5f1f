#include "core/data/clm_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/data/clm_cache.h"
#include "tests/core/data/data_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::data {
namespace {

namespace fs = std::filesystem;
using lathe::tests::error_of;
using lathe::tests::temp_dir;
using lathe::tests::write_text;
using tokenizer::Tokenizer;

constexpr std::int32_t kEos = 256;  // Tokenizer::byte_level()'s <|endoftext|>

std::vector<std::int32_t> all_tokens(const TokenBlocks& blocks) {
    return {blocks.data(), blocks.data() + blocks.total_tokens()};
}

// Documents back from EOS-separated byte-level ids (valid when nothing was dropped).
std::vector<std::string> documents_of(const TokenBlocks& blocks) {
    std::vector<std::string> docs(1);
    for (auto id : all_tokens(blocks)) {
        if (id == kEos) {
            docs.emplace_back();
        } else {
            docs.back() += static_cast<char>(id);
        }
    }
    docs.pop_back();
    return docs;
}

std::string numbered_lines(int n) {
    std::string text;
    for (int i = 0; i < n; ++i)
        text += "doc" + std::to_string(100 + i) + "\n";
    return text;
}

DatasetOptions line_options(const fs::path& dir, const std::string& train) {
    DatasetOptions o;
    o.train_files = {train};
    o.text.txt_sample_by = TxtSampleBy::Line;
    o.cache_dir = (dir / "cache").string();
    return o;
}

TEST(ClmDataset, ChunkingConcatenatesWithEosAndDropsTheRemainder) {
    auto dir = temp_dir("clm-chunk");
    auto o = line_options(dir, write_text(dir, "train.txt", "abc\ndefg\n"));
    o.eval_files = {write_text(dir, "eval.txt", "xy\nz\n")};
    o.block_size = 4;
    o.use_cache = false;
    auto data = prepare_causal_lm(o, Tokenizer::byte_level());
    // a b c EOS d e f g EOS: 9 tokens, two blocks of 4, the final EOS dropped.
    ASSERT_EQ(data.train.size(), 2);
    EXPECT_EQ(data.train.block_size(), 4);
    EXPECT_EQ(data.train.total_tokens(), 8);
    EXPECT_EQ(all_tokens(data.train),
              (std::vector<std::int32_t>{'a', 'b', 'c', kEos, 'd', 'e', 'f', 'g'}));
    EXPECT_EQ(std::vector<std::int32_t>(data.train.block(1), data.train.block(1) + 4),
              (std::vector<std::int32_t>{'d', 'e', 'f', 'g'}));
    // x y EOS z EOS: one block, one token dropped.
    EXPECT_EQ(all_tokens(data.validation), (std::vector<std::int32_t>{'x', 'y', kEos, 'z'}));
    EXPECT_EQ(data.documents, 4);
    EXPECT_EQ(data.train_documents, 2);
    EXPECT_FALSE(data.from_cache);
    EXPECT_FALSE(data.train.is_mapped());
    EXPECT_THROW(data.train.block(2), Error);
    EXPECT_FALSE(fs::exists(dir / "cache"));
}

TEST(ClmDataset, SplitIsDeterministicAndDisjoint) {
    auto dir = temp_dir("clm-split");
    auto o = line_options(dir, write_text(dir, "train.txt", numbered_lines(40)));
    o.block_size = 1;  // nothing dropped, so the documents can be read back
    o.validation_split_percent = 10;
    o.use_cache = false;
    auto a = prepare_causal_lm(o, Tokenizer::byte_level());
    auto b = prepare_causal_lm(o, Tokenizer::byte_level());
    auto train = documents_of(a.train), validation = documents_of(a.validation);
    EXPECT_EQ(train.size(), 36u);
    EXPECT_EQ(validation.size(), 4u);
    EXPECT_EQ(a.validation_documents, 4);
    EXPECT_EQ(train, documents_of(b.train));
    EXPECT_EQ(validation, documents_of(b.validation));
    std::set<std::string> all(train.begin(), train.end());
    for (const auto& doc : validation)
        EXPECT_TRUE(all.insert(doc).second) << doc;
    EXPECT_EQ(all.size(), 40u);

    o.seed = 7;
    auto c = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_NE(documents_of(c.validation), validation);
}

TEST(ClmDataset, SplitArithmetic) {
    EXPECT_EQ(split_documents(10, 5, 1).validation.size(), 1u);  // ceil(0.5)
    EXPECT_EQ(split_documents(100, 5, 1).validation.size(), 5u);
    EXPECT_EQ(split_documents(101, 5, 1).validation.size(), 6u);  // ceil(5.05)
    EXPECT_EQ(split_documents(2, 99, 1).validation.size(), 1u);   // train keeps one
    auto none = split_documents(5, 0, 1);
    EXPECT_TRUE(none.validation.empty());
    EXPECT_EQ(none.train, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
    auto s = split_documents(50, 20, 3);
    EXPECT_EQ(s.validation.size(), 10u);
    std::vector<std::int64_t> all = s.train;
    all.insert(all.end(), s.validation.begin(), s.validation.end());
    std::sort(all.begin(), all.end());
    for (std::int64_t i = 0; i < 50; ++i)
        EXPECT_EQ(all[static_cast<std::size_t>(i)], i);
}

TEST(ClmDataset, TokenizingInParallelKeepsDocumentOrder) {
    std::vector<std::string> docs;
    std::vector<std::int32_t> expected;
    for (int i = 0; i < 501; ++i) {
        docs.push_back(
            std::string(static_cast<std::size_t>(i % 37), static_cast<char>('a' + i % 26)));
        for (char ch : docs.back())
            expected.push_back(static_cast<unsigned char>(ch));
        expected.push_back(kEos);
    }
    std::vector<const std::string*> ptrs;
    for (const auto& d : docs)
        ptrs.push_back(&d);
    EXPECT_EQ(tokenize_documents(ptrs, Tokenizer::byte_level()), expected);
    EXPECT_TRUE(tokenize_documents({}, Tokenizer::byte_level()).empty());
}

TEST(ClmDataset, ValidateNamesTheField) {
    DatasetOptions o;
    o.train_files = {"a.txt"};
    o.block_size = 4096;
    o.max_model_positions = 1024;
    EXPECT_EQ(error_of([&] { validate(o); }),
              "dataset.block_size = 4096 exceeds the model's max_position_embeddings 1024");
    o.block_size = 0;
    EXPECT_CONTAINS(error_of([&] { validate(o); }), "dataset.block_size = 0");
    o.block_size = 8;
    o.validation_split_percent = 100;
    EXPECT_CONTAINS(error_of([&] { validate(o); }), "dataset.validation_split_percent = 100");
    o.validation_split_percent = 5;
    o.train_files = {"a.txt", "b.docx"};
    auto msg = error_of([&] { validate(o); });
    EXPECT_CONTAINS(msg, "dataset.train_files[1]: b.docx: unknown extension");
    o.train_files.clear();
    EXPECT_CONTAINS(error_of([&] { validate(o); }), "dataset.train_files is empty");
    o.train_files = {"a.txt"};
    o.text.txt_sample_by = TxtSampleBy::SeparatorLine;
    o.text.txt_separator = "";
    EXPECT_CONTAINS(error_of([&] { validate(o); }), "dataset.text.txt_separator");
}

TEST(ClmDataset, TooFewTokensAndMissingFilesAreErrors) {
    auto dir = temp_dir("clm-errors");
    auto o = line_options(dir, write_text(dir, "train.txt", numbered_lines(20)));
    o.use_cache = false;
    o.block_size = 64;  // 5% of 20 documents of 7 tokens go to validation: 7 tokens
    EXPECT_EQ(error_of([&] { prepare_causal_lm(o, Tokenizer::byte_level()); }),
              "dataset: validation split has 7 tokens, fewer than block_size 64; lower "
              "block_size, raise validation_split_percent or give eval_files");
    o.block_size = 1000;
    EXPECT_CONTAINS(error_of([&] { prepare_causal_lm(o, Tokenizer::byte_level()); }),
                    "dataset: train split has 133 tokens, fewer than block_size 1000");
    o.eval_files = {(dir / "missing.txt").string()};
    EXPECT_CONTAINS(error_of([&] { prepare_causal_lm(o, Tokenizer::byte_level()); }),
                    "dataset.eval_files[0] = " + o.eval_files[0] + ": no such file");
    o.eval_files.clear();
    o.train_files = {write_text(dir, "one.txt", "single document\n")};
    EXPECT_CONTAINS(error_of([&] { prepare_causal_lm(o, Tokenizer::byte_level()); }),
                    "train_files hold 1 document");
    o.validation_split_percent = 0;
    o.block_size = 4;
    auto data = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_EQ(data.train.size(), 4);  // 16 tokens
    EXPECT_TRUE(data.validation.empty());
}

TEST(ClmDataset, CacheHitIsMappedAndEqual) {
    auto dir = temp_dir("clm-cache-hit");
    auto o = line_options(dir, write_text(dir, "train.txt", numbered_lines(100)));
    o.block_size = 16;
    auto first = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_FALSE(first.from_cache);
    ASSERT_FALSE(first.cache_file.empty());
    EXPECT_TRUE(fs::exists(first.cache_file));
    EXPECT_EQ(fs::path(first.cache_file).parent_path(), fs::path(o.cache_dir));
    EXPECT_EQ(fs::path(first.cache_file).filename(), cache_file_name(o, Tokenizer::byte_level()));

    auto second = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_TRUE(second.from_cache);
    EXPECT_TRUE(second.train.is_mapped());
    EXPECT_TRUE(second.cache_note.empty()) << second.cache_note;
    EXPECT_EQ(all_tokens(second.train), all_tokens(first.train));
    EXPECT_EQ(all_tokens(second.validation), all_tokens(first.validation));
    EXPECT_EQ(second.documents, 100);
    EXPECT_EQ(second.validation_documents, first.validation_documents);
    for (const auto& entry : fs::directory_iterator(o.cache_dir)) {
        EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
    }
}

TEST(ClmDataset, CacheIsInvalidatedBySourceAndSettings) {
    auto dir = temp_dir("clm-cache-invalidate");
    auto path = write_text(dir, "train.txt", numbered_lines(50));
    auto o = line_options(dir, path);
    o.block_size = 8;
    EXPECT_FALSE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);
    EXPECT_TRUE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);

    o.block_size = 16;
    EXPECT_FALSE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);
    EXPECT_TRUE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);

    o.seed = 1;
    EXPECT_FALSE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);
    o.validation_split_percent = 20;
    EXPECT_FALSE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);
    o.text.text_field = "body";
    EXPECT_FALSE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);

    write_text(dir, "train.txt", numbered_lines(50) + "one more line\n");
    auto changed = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_FALSE(changed.from_cache);
    EXPECT_TRUE(prepare_causal_lm(o, Tokenizer::byte_level()).from_cache);
}

void corrupt_and_expect_rebuild(const DatasetOptions& o,
                                const std::function<void(const std::string&)>& damage,
                                const std::string& why) {
    auto good = prepare_causal_lm(o, Tokenizer::byte_level());
    // Copied before the damage: `good` may map the very file that is damaged in place.
    const auto train = all_tokens(good.train), validation = all_tokens(good.validation);
    damage(good.cache_file);
    auto rebuilt = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_FALSE(rebuilt.from_cache) << why;
    EXPECT_CONTAINS(rebuilt.cache_note, why);
    EXPECT_CONTAINS(rebuilt.cache_note, "rebuilt");
    EXPECT_EQ(all_tokens(rebuilt.train), train);
    auto again = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_TRUE(again.from_cache) << why << ": " << again.cache_note;
    EXPECT_EQ(all_tokens(again.validation), validation);
}

TEST(ClmDataset, CorruptCacheIsRebuilt) {
    auto dir = temp_dir("clm-cache-corrupt");
    auto o = line_options(dir, write_text(dir, "train.txt", numbered_lines(60)));
    o.block_size = 8;
    corrupt_and_expect_rebuild(
        o, [](const std::string& f) { fs::resize_file(f, fs::file_size(f) - 3); }, "truncated");
    corrupt_and_expect_rebuild(
        o, [](const std::string& f) { fs::resize_file(f, 50); }, "truncated header");
    corrupt_and_expect_rebuild(
        o,
        [](const std::string& f) {
            std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
            io.seekp(static_cast<std::streamoff>(fs::file_size(f) - 10));
            io.put('\x7f');
        },
        "checksum mismatch");
    corrupt_and_expect_rebuild(
        o,
        [](const std::string& f) {
            std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
            io.seekp(0);
            io.write("GARBAGE!", 8);
        },
        "not a Lathe cache file");
    corrupt_and_expect_rebuild(
        o,
        [](const std::string& f) {
            std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
            io.seekp(24);  // train_blocks
            const std::int64_t huge = std::int64_t{1} << 60;
            io.write(reinterpret_cast<const char*>(&huge), sizeof(huge));
        },
        "block counts");
    corrupt_and_expect_rebuild(
        o,
        [](const std::string& f) {
            write_text(fs::path(f).parent_path(), fs::path(f).filename().string(), "");
        },
        "truncated header");
}

TEST(ClmDataset, DefaultCacheDirIsBesideTheSourceThenXdg) {
    auto dir = temp_dir("clm-cache-default");
    fs::create_directories(dir / "corpus");
    auto o = line_options(dir, write_text(dir / "corpus", "train.txt", numbered_lines(30)));
    o.cache_dir.clear();
    o.block_size = 4;
    auto data = prepare_causal_lm(o, Tokenizer::byte_level());
    EXPECT_EQ(fs::path(data.cache_file).parent_path(), dir / "corpus" / ".lathe-cache");

    // A file in the way of .lathe-cache makes the folder beside the data unusable.
    fs::create_directories(dir / "other");
    write_text(dir / "other", ".lathe-cache", "not a folder");
    o.train_files = {write_text(dir / "other", "train.txt", numbered_lines(30))};
    const char* old = std::getenv("XDG_CACHE_HOME");
    const std::string saved = old ? old : "";
    ::setenv("XDG_CACHE_HOME", (dir / "xdg").c_str(), 1);
    auto fallback = prepare_causal_lm(o, Tokenizer::byte_level());
    if (old) {
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CACHE_HOME");
    }
    EXPECT_EQ(fs::path(fallback.cache_file).parent_path(), dir / "xdg" / "lathe");
    EXPECT_TRUE(fs::exists(fallback.cache_file));
}

TEST(ClmCache, WriteThenLoadRoundTrips) {
    auto dir = temp_dir("clm-cache-roundtrip");
    const std::string key(64, 'a');
    ClmCacheContent content{TokenBlocks::owned({1, 2, 3, 4, 5, 6, 7}, 3),
                            TokenBlocks::owned({9, 8, 7}, 3), 5, 1};
    const auto path = (dir / "c.bin").string();
    write_clm_cache(path, key, content);
    EXPECT_EQ(fs::file_size(path), 128u + 9u * 4u);
    std::string problem;
    auto loaded = load_clm_cache(path, key, 3, &problem);
    ASSERT_TRUE(loaded) << problem;
    EXPECT_EQ(all_tokens(loaded->train), (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(all_tokens(loaded->validation), (std::vector<std::int32_t>{9, 8, 7}));
    EXPECT_EQ(loaded->train_documents, 5);
    EXPECT_FALSE(load_clm_cache(path, std::string(64, 'b'), 3, &problem));
    EXPECT_CONTAINS(problem, "key mismatch");
    EXPECT_FALSE(load_clm_cache(path, key, 4, &problem));
    EXPECT_FALSE(load_clm_cache((dir / "none.bin").string(), key, 3, &problem));
}

}  // namespace
}  // namespace lathe::core::data
