#include "core/checkpoints/checkpoint_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::checkpoints {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
    tests::write_file(path, text);
}

// The files a Lathe checkpoint holds (docs/run-directory.md), a data-parallel run's per-rank RNG
// files and a Transformers-written rng_state.pth included.
fs::path make_checkpoint(const fs::path& output_dir, int step) {
    const fs::path dir = output_dir / ("checkpoint-" + std::to_string(step));
    for (const char* name :
         {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
          "special_tokens_map.json", "trainer_state.json", "training_args.json", "optimizer.pt",
          "scheduler.pt", "lathe_rng_state_0.pt", "lathe_rng_state_1.pt", "rng_state.pth",
          "lathe_loop_state.json"}) {
        write(dir / name, std::string(name) + " content\n");
    }
    write(dir / "model.safetensors", std::string(3 << 20, 'w'));  // chunks of the copy
    return dir;
}

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.insert(entry.path().filename().string());
    return names;
}

TEST(CheckpointExport, FullCopiesEveryFileAndModelOnlyLeavesTheTrainingStateOut) {
    const fs::path root = tests::temp_dir("checkpoint-export");
    const fs::path source = make_checkpoint(root / "out", 40);
    const fs::path to = root / "exports";

    std::uint64_t last_done = 0, last_total = 0;
    const auto full = export_checkpoint(source.string(), to.string(), ExportContent::full,
                                        [&](std::uint64_t done, std::uint64_t total) {
                                            EXPECT_GE(done, last_done);
                                            last_done = done;
                                            last_total = total;
                                        });
    EXPECT_EQ(full.path, (to / "checkpoint-40").string());
    EXPECT_EQ(names_in(full.path), names_in(source));
    EXPECT_EQ(full.bytes, folder_bytes(source.string()));
    EXPECT_EQ(last_done, last_total);
    EXPECT_EQ(last_total, full.bytes);
    EXPECT_EQ(util::read_file((to / "checkpoint-40" / "model.safetensors").string()),
              util::read_file((source / "model.safetensors").string()));

    const auto model = export_checkpoint(source.string(), to.string(), ExportContent::model_only);
    EXPECT_EQ(model.path, (to / "checkpoint-40-model").string());
    EXPECT_EQ(names_in(model.path),
              (std::set<std::string>{"config.json", "generation_config.json", "model.safetensors",
                                     "special_tokens_map.json", "tokenizer.json",
                                     "tokenizer_config.json"}));
    // Nothing but the two finished folders: no part folder left behind.
    EXPECT_EQ(names_in(to), (std::set<std::string>{"checkpoint-40", "checkpoint-40-model"}));
}

TEST(CheckpointExport, RefusalsNameThePath) {
    const fs::path root = tests::temp_dir("checkpoint-export-refusals");
    const fs::path source = make_checkpoint(root / "out", 8);
    const fs::path to = root / "exports";
    export_checkpoint(source.string(), to.string(), ExportContent::full);
    try {
        export_checkpoint(source.string(), to.string(), ExportContent::full);
        FAIL() << "exported over an existing folder";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find((to / "checkpoint-8").string() + " already exists"),
                  std::string::npos)
            << e.what();
    }

    // A folder left by a crash mid-save (no trainer_state.json) is not a checkpoint.
    const fs::path half = root / "out" / "checkpoint-9";
    write(half / "model.safetensors", "w");
    try {
        export_checkpoint(half.string(), to.string(), ExportContent::full);
        FAIL() << "exported an incomplete checkpoint";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(half.string() + ": not a complete checkpoint"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(fs::exists(to / "checkpoint-9"));

    // save_only_model=false is fine, but a checkpoint without weights has no model to export.
    const fs::path no_weights = make_checkpoint(root / "out", 10);
    fs::remove(no_weights / "model.safetensors");
    EXPECT_THROW(export_checkpoint(no_weights.string(), to.string(), ExportContent::model_only),
                 Error);
    EXPECT_FALSE(fs::exists(to / "checkpoint-10-model"));
    EXPECT_THROW(parse_export_content("weights"), Error);
    EXPECT_EQ(parse_export_content("model-only"), ExportContent::model_only);
}

TEST(CheckpointExport, ALeftoverPartFolderIsReplacedAndACancelLeavesNothing) {
    const fs::path root = tests::temp_dir("checkpoint-export-part");
    const fs::path source = make_checkpoint(root / "out", 3);
    const fs::path to = root / "exports";
    write(to / ".checkpoint-3.lathe-part" / "stale.bin", "from an interrupted export");

    EXPECT_THROW(export_checkpoint(source.string(), to.string(), ExportContent::full, {},
                                   [] { return true; }),
                 Error);
    EXPECT_TRUE(names_in(to).empty());

    const auto full = export_checkpoint(source.string(), to.string(), ExportContent::full);
    EXPECT_FALSE(fs::exists(fs::path(full.path) / "stale.bin"));
    EXPECT_EQ(names_in(to), std::set<std::string>{"checkpoint-3"});
}

TEST(CheckpointExport, TrainingStateFilesByName) {
    for (const char* name :
         {"optimizer.pt", "optimizer_0.pt", "scheduler.pt", "scaler.pt", "rng_state.pth",
          "rng_state_3.pth", "lathe_rng_state.pt", "lathe_rng_state_1.pt", "lathe_loop_state.json",
          "trainer_state.json", "training_args.json", "training_args.bin"}) {
        EXPECT_TRUE(is_training_state_file(name)) << name;
    }
    for (const char* name : {"model.safetensors", "config.json", "tokenizer.json",
                             "generation_config.json", "model-00001-of-00002.safetensors",
                             "model.safetensors.index.json", "merges.txt", "vocab.json"}) {
        EXPECT_FALSE(is_training_state_file(name)) << name;
    }
}

}  // namespace
}  // namespace lathe::core::checkpoints
