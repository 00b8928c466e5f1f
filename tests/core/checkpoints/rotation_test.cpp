// Rotation as Transformers' Trainer does it. hf_rotation_cases.json holds what
// Trainer._rotate_checkpoints and the train-end cleanup of Transformers 4.46.3 kept for every
// save_total_limit, checkpoint count and best-checkpoint position
// (tests/fixtures/make_trainer_state_fixture.py).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::checkpoints {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

void make_checkpoint(const fs::path& dir) {
    fs::create_directories(dir);
    std::ofstream(dir / "trainer_state.json") << "{}\n";
}

std::vector<std::int64_t> steps_on_disk(const fs::path& out) {
    std::vector<std::int64_t> steps;
    for (const auto& c : list_checkpoints(out.string()))
        steps.push_back(c.step);
    return steps;
}

std::vector<CheckpointEntry> entries(const std::string& dir,
                                     const std::vector<std::int64_t>& steps) {
    std::vector<CheckpointEntry> out;
    for (auto s : steps)
        out.push_back({dir + "/checkpoint-" + std::to_string(s), s});
    return out;
}

TEST(Rotation, EveryCaseMatchesTransformers) {
    const json cases =
        json::parse(util::read_file(tests::fixture("checkpoints/hf_rotation_cases.json")));
    ASSERT_GT(cases.size(), 200u);
    const auto root = tests::temp_dir("rotation-cases");
    int index = 0;
    for (const auto& c : cases) {
        const fs::path out = root / std::to_string(index++);
        for (const auto& s : c["steps"])
            make_checkpoint(out / ("checkpoint-" + std::to_string(s.get<int>())));
        fs::create_directories(out);
        std::optional<std::int64_t> limit;
        if (!c["limit"].is_null())
            limit = c["limit"].get<std::int64_t>();
        std::optional<std::string> best;
        if (!c["best"].is_null())
            best = (out / ("checkpoint-" + std::to_string(c["best"].get<int>()))).string();

        for (const auto& path :
             checkpoints_to_rotate(list_checkpoints(out.string()), limit, best)) {
            remove_checkpoint(path);
        }
        EXPECT_EQ(steps_on_disk(out), c["kept"].get<std::vector<std::int64_t>>()) << c.dump();

        for (const auto& path :
             checkpoints_to_delete_at_train_end(list_checkpoints(out.string()), limit, best)) {
            remove_checkpoint(path);
        }
        EXPECT_EQ(steps_on_disk(out), c["kept_at_end"].get<std::vector<std::int64_t>>())
            << c.dump();
    }
}

// The cases of Transformers' test_checkpoint_rotation.
TEST(Rotation, TransformersTestCheckpointRotation) {
    const auto all = entries("out", {5, 10, 15, 20, 25});
    const auto paths = [](const std::vector<std::string>& v) { return v; };
    // Without a best model: the newest two stay.
    EXPECT_EQ(
        paths(checkpoints_to_rotate(all, 2, std::nullopt)),
        (std::vector<std::string>{"out/checkpoint-5", "out/checkpoint-10", "out/checkpoint-15"}));
    // With a best model: it stays beside the newest.
    EXPECT_EQ(
        checkpoints_to_rotate(all, 2, std::string("out/checkpoint-5")),
        (std::vector<std::string>{"out/checkpoint-10", "out/checkpoint-15", "out/checkpoint-20"}));
    // Limit 1 with the best being the last: only it stays.
    EXPECT_EQ(checkpoints_to_rotate(all, 1, std::string("out/checkpoint-25")),
              (std::vector<std::string>{"out/checkpoint-5", "out/checkpoint-10",
                                        "out/checkpoint-15", "out/checkpoint-20"}));
    // Limit 1 with an older best: two stay (the best and the last, to resume from).
    EXPECT_EQ(
        checkpoints_to_rotate(all, 1, std::string("out/checkpoint-5")),
        (std::vector<std::string>{"out/checkpoint-10", "out/checkpoint-15", "out/checkpoint-20"}));
}

TEST(Rotation, LimitThreeWithTheBestInTheMiddle) {
    const auto all = entries("out", {5, 10, 15, 20, 25});
    // Sorted becomes 5, 10, 20, 15(best), 25: the oldest two go.
    EXPECT_EQ(checkpoints_to_rotate(all, 3, std::string("out/checkpoint-15")),
              (std::vector<std::string>{"out/checkpoint-5", "out/checkpoint-10"}));
    // Best second-to-last already: unchanged order.
    EXPECT_EQ(checkpoints_to_rotate(all, 3, std::string("out/checkpoint-20")),
              (std::vector<std::string>{"out/checkpoint-5", "out/checkpoint-10"}));
    // Best first with limit 3: 10, 15, 20, 5, 25.
    EXPECT_EQ(checkpoints_to_rotate(all, 3, std::string("out/checkpoint-5")),
              (std::vector<std::string>{"out/checkpoint-10", "out/checkpoint-15"}));
}

TEST(Rotation, NothingWithoutALimitOrUnderIt) {
    const auto all = entries("out", {5, 10, 15});
    EXPECT_TRUE(checkpoints_to_rotate(all, std::nullopt, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, 0, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, -1, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, 3, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, 5, std::string("out/checkpoint-5")).empty());
    EXPECT_TRUE(checkpoints_to_rotate({}, 1, std::nullopt).empty());
}

TEST(Rotation, BestPathComparesAsPythonPath) {
    const auto all = entries("./out", {5, 10, 15, 20});
    // str(Path("out//checkpoint-5/")) == str(Path("./out/checkpoint-5")) == "out/checkpoint-5".
    EXPECT_EQ(checkpoints_to_rotate(all, 2, std::string("out//checkpoint-5/")),
              (std::vector<std::string>{"./out/checkpoint-10", "./out/checkpoint-15"}));
    EXPECT_EQ(python_path_str("./out//a/./b/"), "out/a/b");
    EXPECT_EQ(python_path_str("/x/../y"), "/x/../y");
    EXPECT_EQ(python_path_str("//x"), "//x");
    EXPECT_EQ(python_path_str("///x"), "/x");
    EXPECT_EQ(python_path_str(""), ".");
    EXPECT_EQ(python_path_str("./"), ".");
}

TEST(Rotation, TrainEndKeepsOnlyTheBestWithLimitOne) {
    const auto out = tests::temp_dir("rotation-train-end");
    for (int s : {10, 20, 30})
        make_checkpoint(out / ("checkpoint-" + std::to_string(s)));
    const auto all = list_checkpoints(out.string());
    const std::string best = (out / "checkpoint-20").string();
    EXPECT_EQ(checkpoints_to_delete_at_train_end(all, 1, best),
              (std::vector<std::string>{(out / "checkpoint-10").string(),
                                        (out / "checkpoint-30").string()}));
    // The same folder under another spelling is still the best one.
    EXPECT_EQ(
        checkpoints_to_delete_at_train_end(all, 1, (out / "." / "checkpoint-20").string()).size(),
        2u);
    EXPECT_TRUE(checkpoints_to_delete_at_train_end(all, 2, best).empty());
    EXPECT_TRUE(checkpoints_to_delete_at_train_end(all, std::nullopt, best).empty());
    EXPECT_TRUE(checkpoints_to_delete_at_train_end(all, 1, std::nullopt).empty());
    EXPECT_TRUE(
        checkpoints_to_delete_at_train_end(all, 1, (out / "checkpoint-99").string()).empty());
}

TEST(RotationBestMetric, IsBetterFollowsGreaterIsBetter) {
    EXPECT_TRUE(is_better(5.0, std::nullopt, false));
    EXPECT_TRUE(is_better(5.0, std::nullopt, true));
    EXPECT_TRUE(is_better(1.0, 2.0, false));
    EXPECT_FALSE(is_better(2.0, 2.0, false));  // a tie is not an improvement
    EXPECT_FALSE(is_better(3.0, 2.0, false));
    EXPECT_TRUE(is_better(3.0, 2.0, true));
    EXPECT_FALSE(is_better(2.0, 2.0, true));
    EXPECT_FALSE(is_better(std::nan(""), 2.0, false));
    EXPECT_FALSE(is_better(std::nan(""), 2.0, true));
}

}  // namespace
}  // namespace lathe::core::checkpoints
