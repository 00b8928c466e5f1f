// The pieces of the run manager that need no process: ids, lineage metadata, fork diffs, the
// checks that refuse a bad config before anything is created, and Hugging Face output folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "core/run_manager/config_diff.h"
#include "core/run_manager/hf_output_folder.h"
#include "core/run_manager/run_ids.h"
#include "core/run_manager/run_metadata.h"
#include "core/run_manager/run_preparation.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::run_manager {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

TEST(RunIds, SortByTimeNameTheRunAndDiffer) {
    EXPECT_EQ(slug("My Run: lr=3e-4!"), "my-run-lr-3e-4");
    EXPECT_EQ(slug("***"), "run");
    EXPECT_EQ(slug(std::string(100, 'a')).size(), 40u);
    const std::string id = new_run_id("Fortunes GPT", 1795959530.0);
    EXPECT_EQ(id.rfind("20261129-", 0), 0u) << id;
    EXPECT_NE(id.find("-fortunes-gpt-"), std::string::npos) << id;
    EXPECT_LT(new_run_id("a", 1795959530.0).substr(0, 15),
              new_run_id("a", 1795959531.0).substr(0, 15));
}

TEST(ConfigDiff, NamesChangedKeysAndIgnoresWhatEveryResumeChanges) {
    const json before = {{"learning_rate", 1e-3}, {"output_dir", "/a"}, {"seed", 1}};
    const json after = {{"learning_rate", 5e-4},
                        {"output_dir", "/b"},
                        {"seed", 1},
                        {"resume_from_checkpoint", "/a/checkpoint-4"},
                        {"warmup_steps", 10}};
    const json diff = training_args_diff(before, after);
    EXPECT_EQ(diff, json({{"learning_rate", {{"from", 1e-3}, {"to", 5e-4}}},
                          {"warmup_steps", {{"from", nullptr}, {"to", 10}}}}));
    EXPECT_TRUE(training_args_diff(before, before).empty());
}

TEST(ConfigDiff, ComparesWholeRunConfigsLeafByLeaf) {
    const json a = {{"name", "a"},
                    {"model", {{"preset", "gpt2-tiny"}, {"config_overrides", {{"n_layer", 2}}}}},
                    {"dataset", {{"train_files", {"x.txt"}}, {"block_size", 64}}},
                    {"training_args", {{"learning_rate", 1e-3}, {"output_dir", "/runs/a"}}}};
    json b = a;
    b["name"] = "b";
    b["model"]["config_overrides"]["n_layer"] = 4;
    b["dataset"]["train_files"].push_back("y/z.txt");
    b["training_args"]["learning_rate"] = 3e-4;
    b["training_args"]["output_dir"] = "/runs/b";
    b["training_args"]["a/b~c"] = true;  // JSON pointer escapes come back as written
    const json diff = run_config_diff(a, b);
    EXPECT_EQ(diff, json({{"name", {{"from", "a"}, {"to", "b"}}},
                          {"model.config_overrides.n_layer", {{"from", 2}, {"to", 4}}},
                          {"dataset.train_files.1", {{"from", nullptr}, {"to", "y/z.txt"}}},
                          {"training_args.learning_rate", {{"from", 1e-3}, {"to", 3e-4}}},
                          {"training_args.a/b~c", {{"from", nullptr}, {"to", true}}}}))
        << diff.dump(2);
    EXPECT_TRUE(run_config_diff(a, a).empty());
}

TEST(RunMetadata, RoundTripsThroughTheRunDirectoryAndNamesBadFiles) {
    const auto dir = tests::temp_dir("run-metadata");
    RunMetadata m;
    m.id = "20261129-000000-x-abcd";
    m.name = "x";
    m.created_at = 12.5;
    m.parent_run_id = "p";
    m.parent_checkpoint = "/p/checkpoint-4";
    m.fork_diff = {{"seed", {{"from", 1}, {"to", 2}}}};
    m.tags = {"a", "b"};
    m.notes = "n";
    write_run_metadata(dir.string(), m);
    const RunMetadata back = read_run_metadata(dir.string());
    EXPECT_EQ(to_json(back), to_json(m));

    util::write_file_atomic((dir / kRunMetadataFile).string(), "{\"id\": 3}");
    try {
        read_run_metadata(dir.string());
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(kRunMetadataFile), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("\"id\""), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_run_metadata((dir / "nowhere").string()), Error);
}

fs::path write_run_json(const fs::path& dir, const json& training_args, bool with_corpus = true) {
    if (with_corpus) {
        std::ofstream(dir / "corpus.txt") << "one paragraph\n\nanother one\n";
    }
    const json config = {{"name", "t"},
                         {"model", {{"preset", "gpt2-tiny"}}},
                         {"tokenizer", {{"byte_level", true}}},
                         {"dataset", {{"train_files", {"corpus.txt"}}, {"block_size", 16}}},
                         {"training_args", training_args}};
    util::write_file_atomic((dir / "run.json").string(), config.dump());
    return dir / "run.json";
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(RunPreparation, RefusesBadConfigsNamingTheFieldAndPlacesGoodOnes) {
    const auto dir = tests::temp_dir("run-preparation");
    const auto ok = write_run_json(dir, {{"max_steps", 5}});
    const auto prepared = prepare_run(ok.string(), {"--learning_rate", "3e-4"});
    EXPECT_DOUBLE_EQ(prepared.config.training_args.at("learning_rate").get<double>(), 3e-4);
    // Every field spelled out, and relative paths made absolute against run.json's folder.
    EXPECT_TRUE(prepared.config.training_args.contains("adam_beta2"));
    EXPECT_EQ(prepared.config.dataset.train_files.at(0), (dir / "corpus.txt").string());
    const json placed = run_json_for_directory(prepared, "/runs/r1");
    EXPECT_EQ(placed["training_args"]["output_dir"], "/runs/r1");

    EXPECT_NE(error_of([&] {
                  prepare_run(ok.string(), {"--learnig_rate", "1"});
              }).find("did you mean --learning_rate"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  prepare_run(ok.string(), {"--eval_strategy", "sometimes"});
              }).find("eval_strategy"),
              std::string::npos);
    fs::remove(dir / "corpus.txt");
    EXPECT_NE(error_of([&] { prepare_run(ok.string(), {}); }).find("dataset.train_files[0]"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  prepare_run((dir / "missing.json").string(), {});
              }).find("missing.json: no such file"),
              std::string::npos);
    // The embedded default needs no file.
    EXPECT_TRUE(prepare_run("", {"--max_steps", "3"}).config.dataset.embedded_corpus);
}

TEST(RunPreparation, ResumeNeedsACompleteCheckpoint) {
    const auto dir = tests::temp_dir("run-preparation-resume");
    const auto config = write_run_json(dir, {{"max_steps", 5}});
    // A parent's run.json holds absolute paths.
    json run_json = json::parse(util::read_file(config.string()));
    run_json["dataset"]["train_files"] = {(dir / "corpus.txt").string()};
    ResumeFrom from;
    from.checkpoint_path = (dir / "checkpoint-2").string();
    fs::create_directories(from.checkpoint_path);
    EXPECT_NE(error_of([&] {
                  prepare_run_json(run_json, config.string(), {}, &from);
              }).find("no trainer_state.json"),
              std::string::npos);
    util::write_file_atomic(from.checkpoint_path + "/trainer_state.json", "{}");
    from.max_steps = 9;
    const auto prepared = prepare_run_json(run_json, config.string(), {}, &from);
    EXPECT_EQ(prepared.config.training_args["resume_from_checkpoint"], from.checkpoint_path);
    EXPECT_EQ(prepared.config.training_args["max_steps"], 9);
}

TEST(HfOutputFolder, ReadsTheNewestStateCheckpointsAndBest) {
    const auto dir = tests::temp_dir("hf-output-folder");
    const json state =
        json::parse(util::read_file(tests::fixture("checkpoints/hf_trainer_state.json")));
    for (int step : {8, 12}) {
        const auto c = dir / ("checkpoint-" + std::to_string(step));
        fs::create_directories(c);
        json s = state;
        s["global_step"] = step;
        util::write_file_atomic((c / "trainer_state.json").string(), s.dump());
        util::write_file_atomic((c / "config.json").string(), "{\"model_type\": \"gpt2\"}");
    }
    fs::create_directories(dir / "checkpoint-16");  // a save cut short: no trainer_state.json
    const auto hf = read_hf_output_folder(dir.string());
    EXPECT_EQ(hf.global_step, 12);
    EXPECT_EQ(hf.max_steps, 12);
    ASSERT_EQ(hf.checkpoints.size(), 2u);
    EXPECT_TRUE(hf.checkpoints[0].best);  // best_model_checkpoint ends in checkpoint-8
    EXPECT_FALSE(hf.checkpoints[1].best);
    EXPECT_FALSE(hf.checkpoints[0].resumable_by_lathe);
    EXPECT_EQ(hf.model_config["model_type"], "gpt2");
    std::size_t losses = 0, evals = 0;
    for (const auto& e : state["log_history"]) {
        losses += e.contains("loss");
        evals += e.contains("eval_loss");
    }
    std::size_t loss_points = 0, eval_points = 0;
    for (const auto& p : hf.points) {
        loss_points += p.key == "loss";
        eval_points += p.key == "eval_loss";
        EXPECT_NE(p.key, "step");
        EXPECT_NE(p.key, "epoch");
    }
    EXPECT_EQ(loss_points, losses);
    EXPECT_EQ(eval_points, evals);
    EXPECT_TRUE(hf.checkpoints[0].metrics.contains("eval_loss"));

    const auto empty = tests::temp_dir("hf-output-folder-empty");
    EXPECT_NE(error_of([&] {
                  read_hf_output_folder(empty.string());
              }).find("not a Transformers Trainer output folder"),
              std::string::npos);
}

}  // namespace
}  // namespace lathe::core::run_manager
