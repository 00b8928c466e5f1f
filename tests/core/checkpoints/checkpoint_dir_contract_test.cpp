// checkpoint-N folders: listing, atomic staging, stale staging cleanup, rotation as Transformers
// 4.46.3 does it (_sorted_checkpoints + _rotate_checkpoints), best-metric rule, sizes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::checkpoints {
namespace {
namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A folder as a finished save leaves it: trainer_state.json is what makes it complete.
void make_checkpoint(const fs::path& dir, bool complete = true) {
    fs::create_directories(dir);
    write_text(dir / "model.safetensors", "weights");
    if (complete)
        write_text(dir / "trainer_state.json", "{}\n");
}

std::vector<std::int64_t> steps_of(const std::vector<CheckpointEntry>& entries) {
    std::vector<std::int64_t> steps;
    for (const auto& e : entries)
        steps.push_back(e.step);
    return steps;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A process id that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

// A child that lives until the guard goes.
class LiveChild {
  public:
    LiveChild() : pid_(::fork()) {
        if (pid_ == 0) {
            while (true)
                ::pause();
        }
    }
    ~LiveChild() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    LiveChild(const LiveChild&) = delete;
    LiveChild& operator=(const LiveChild&) = delete;
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_;
};

// --- list_checkpoints, latest_checkpoint ---

TEST(CheckpointListing, OnlyCompleteCheckpointFoldersSortedByStep) {
    const auto out = tests::temp_dir("ckpt-list");
    make_checkpoint(out / "checkpoint-10");
    make_checkpoint(out / "checkpoint-9");
    make_checkpoint(out / "checkpoint-100");
    make_checkpoint(out / "checkpoint-2");
    make_checkpoint(out / "checkpoint-11", /*complete=*/false);  // crashed mid-save
    make_checkpoint(out / (".tmp-checkpoint-12-" + std::to_string(::getpid())));  // staging
    make_checkpoint(out / ".tmp-old-checkpoint-9-1234");                          // set aside
    make_checkpoint(out / "checkpoint-abc");
    make_checkpoint(out / "checkpoint-");
    make_checkpoint(out / "checkpoint-13-old");
    make_checkpoint(out / "checkpoint-14x");
    make_checkpoint(out / "xcheckpoint-15");
    make_checkpoint(out / "Checkpoint-16");
    make_checkpoint(out / "run-1" / "checkpoint-17");  // nested: not this output_dir's
    write_text(out / "checkpoint-18", "a file, not a folder");

    const auto list = list_checkpoints(out.string());
    EXPECT_EQ(steps_of(list), (std::vector<std::int64_t>{2, 9, 10, 100}));
    ASSERT_EQ(list.size(), 4u);
    EXPECT_EQ(fs::path(list[1].path), out / "checkpoint-9");
    EXPECT_EQ(fs::path(list[3].path), out / "checkpoint-100");

    const auto latest = latest_checkpoint(out.string());
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(fs::path(*latest), out / "checkpoint-100");
}

TEST(CheckpointListing, LeadingZerosSortByValue) {
    const auto out = tests::temp_dir("ckpt-list-zeros");
    make_checkpoint(out / "checkpoint-007");
    make_checkpoint(out / "checkpoint-20");
    make_checkpoint(out / "checkpoint-8");
    EXPECT_EQ(steps_of(list_checkpoints(out.string())), (std::vector<std::int64_t>{7, 8, 20}));
}

TEST(CheckpointListing, AStepTooLargeForAnIntegerIsSkippedNotFatal) {
    const auto out = tests::temp_dir("ckpt-list-huge");
    make_checkpoint(out / "checkpoint-5");
    make_checkpoint(out / "checkpoint-99999999999999999999999");
    std::vector<CheckpointEntry> list;
    ASSERT_NO_THROW(list = list_checkpoints(out.string()));
    EXPECT_EQ(steps_of(list), (std::vector<std::int64_t>{5}));
}

TEST(CheckpointListing, EmptyOrMissingOutputDir) {
    const auto out = tests::temp_dir("ckpt-list-empty");
    EXPECT_TRUE(list_checkpoints(out.string()).empty());
    EXPECT_FALSE(latest_checkpoint(out.string()).has_value());
    make_checkpoint(out / "checkpoint-3", /*complete=*/false);
    EXPECT_FALSE(latest_checkpoint(out.string()).has_value())
        << "an incomplete folder is never resumed from";
    EXPECT_TRUE(list_checkpoints((out / "missing").string()).empty());
    EXPECT_FALSE(latest_checkpoint((out / "missing").string()).has_value());
}

TEST(CheckpointListing, DirName) {
    EXPECT_EQ(checkpoint_dir_name(0), "checkpoint-0");
    EXPECT_EQ(checkpoint_dir_name(1500), "checkpoint-1500");
}

// --- CheckpointStaging ---

TEST(CheckpointStagingDir, CommitRenamesTheStagingFolder) {
    const auto out = tests::temp_dir("staging-commit");
    std::string final_path;
    {
        CheckpointStaging staging(out.string(), 7);
        const fs::path path = staging.path();
        EXPECT_EQ(path.parent_path(), out);
        EXPECT_EQ(path.filename().string(), ".tmp-checkpoint-7-" + std::to_string(::getpid()));
        ASSERT_TRUE(fs::is_directory(path));
        write_text(path / "model.safetensors", "weights");
        write_text(path / "sub" / "nested.txt", "nested");
        write_text(path / "trainer_state.json", "{}\n");
        EXPECT_TRUE(list_checkpoints(out.string()).empty()) << "staging is never listed";
        final_path = staging.commit();
        EXPECT_EQ(fs::path(final_path), out / "checkpoint-7");
        EXPECT_FALSE(fs::exists(path));
    }
    // The destructor of a committed staging leaves the checkpoint alone.
    EXPECT_EQ(util::read_file((out / "checkpoint-7" / "model.safetensors").string()), "weights");
    EXPECT_EQ(util::read_file((out / "checkpoint-7" / "sub" / "nested.txt").string()), "nested");
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-7"});
    EXPECT_EQ(steps_of(list_checkpoints(out.string())), std::vector<std::int64_t>{7});
}

TEST(CheckpointStagingDir, DestructorWithoutCommitRemovesTheStagingFolder) {
    const auto out = tests::temp_dir("staging-abandon");
    fs::path path;
    {
        CheckpointStaging staging(out.string(), 3);
        path = staging.path();
        write_text(path / "model.safetensors", "half written");
        write_text(path / "deep" / "er" / "file", "x");
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(names_in(out).empty());
}

TEST(CheckpointStagingDir, AbandonedByAnExceptionLeavesNothing) {
    const auto out = tests::temp_dir("staging-throw");
    try {
        CheckpointStaging staging(out.string(), 4);
        write_text(fs::path(staging.path()) / "model.safetensors", "x");
        throw std::runtime_error("disk full");
    } catch (const std::runtime_error&) {
    }
    EXPECT_TRUE(names_in(out).empty());
}

TEST(CheckpointStagingDir, CommittingOverAnExistingCheckpointReplacesIt) {
    const auto out = tests::temp_dir("staging-replace");
    make_checkpoint(out / "checkpoint-5");
    write_text(out / "checkpoint-5" / "old-only.txt", "old");
    write_text(out / "checkpoint-5" / "model.safetensors", "old weights");
    {
        CheckpointStaging staging(out.string(), 5);
        write_text(fs::path(staging.path()) / "model.safetensors", "new weights");
        write_text(fs::path(staging.path()) / "trainer_state.json", "{\"global_step\": 5}\n");
        EXPECT_EQ(fs::path(staging.commit()), out / "checkpoint-5");
    }
    EXPECT_EQ(util::read_file((out / "checkpoint-5" / "model.safetensors").string()),
              "new weights");
    EXPECT_FALSE(fs::exists(out / "checkpoint-5" / "old-only.txt")) << "replaced, not merged";
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-5"}) << "no aside folder left";
}

TEST(CheckpointStagingDir, ALeftoverStagingFolderOfThisProcessIsStartedAfresh) {
    const auto out = tests::temp_dir("staging-leftover");
    const auto leftover = out / (".tmp-checkpoint-6-" + std::to_string(::getpid()));
    write_text(leftover / "stale.txt", "from an earlier attempt");
    CheckpointStaging staging(out.string(), 6);
    EXPECT_EQ(fs::path(staging.path()), leftover);
    EXPECT_TRUE(fs::is_directory(leftover));
    EXPECT_FALSE(fs::exists(leftover / "stale.txt"));
}

TEST(CheckpointStagingDir, CreatesTheOutputDir) {
    const auto out = tests::temp_dir("staging-mkdir") / "not" / "yet";
    CheckpointStaging staging(out.string(), 1);
    write_text(fs::path(staging.path()) / "trainer_state.json", "{}\n");
    staging.commit();
    EXPECT_TRUE(fs::exists(out / "checkpoint-1" / "trainer_state.json"));
}

// --- remove_stale_staging ---

TEST(StagingCleanup, RemovesFoldersOfDeadProcessesAndKeepsLiveOnes) {
    const auto out = tests::temp_dir("staging-stale");
    const pid_t dead = dead_pid();
    LiveChild live;
    const auto me = std::to_string(::getpid());
    const auto dead_s = std::to_string(dead);
    const auto live_s = std::to_string(live.pid());

    make_checkpoint(out / (".tmp-checkpoint-10-" + dead_s));
    make_checkpoint(out / (".tmp-checkpoint-40-" + live_s));  // a save in progress elsewhere
    // Our own pid is a leftover of an earlier process (a restarted container reuses pids):
    // cleanup runs at start, before this process stages anything (core/checkpoints header).
    make_checkpoint(out / (".tmp-checkpoint-30-" + me));
    make_checkpoint(out / "checkpoint-10");
    make_checkpoint(out / "checkpoint-11", /*complete=*/false);  // Transformers' kind of leftover
    make_checkpoint(out / ".tmp-notes");
    make_checkpoint(out / ".tmp-checkpoint-x-1");
    write_text(out / "events.jsonl", "");

    const auto notes = remove_stale_staging(out.string());
    EXPECT_EQ(notes.size(), 2u);
    for (const auto& note : notes)
        EXPECT_NE(note.find(out.string()), std::string::npos) << note;
    std::vector<std::string> expected = {".tmp-checkpoint-40-" + live_s,
                                         ".tmp-checkpoint-x-1",
                                         ".tmp-notes",
                                         "checkpoint-10",
                                         "checkpoint-11",
                                         "events.jsonl"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names_in(out), expected);
    EXPECT_TRUE(remove_stale_staging(out.string()).empty()) << "nothing left to do the second time";
}

TEST(StagingCleanup, ALiveProcessKeepsItsStagingUntilItDies) {
    const auto out = tests::temp_dir("staging-stale-live");
    std::string name;
    {
        LiveChild live;
        name = ".tmp-checkpoint-7-" + std::to_string(live.pid());
        make_checkpoint(out / name);
        EXPECT_TRUE(remove_stale_staging(out.string()).empty());
        EXPECT_TRUE(fs::exists(out / name));
    }
    EXPECT_EQ(remove_stale_staging(out.string()).size(), 1u);
    EXPECT_FALSE(fs::exists(out / name));
}

TEST(StagingCleanup, MissingOutputDirIsNothingToDo) {
    const auto out = tests::temp_dir("staging-stale-missing") / "missing";
    std::vector<std::string> notes;
    EXPECT_NO_THROW(notes = remove_stale_staging(out.string()));
    EXPECT_TRUE(notes.empty());
}

// --- checkpoints_to_rotate: expected results are what Transformers 4.46.3's _rotate_checkpoints
// deletes, in its order (run on fake folders with .venv-fixtures). ---

std::vector<CheckpointEntry> entries(const std::vector<std::int64_t>& steps) {
    std::vector<CheckpointEntry> out;
    for (auto s : steps)
        out.push_back({"/out/checkpoint-" + std::to_string(s), s});
    return out;
}

std::vector<std::string> paths(const std::vector<std::int64_t>& steps) {
    std::vector<std::string> out;
    for (auto s : steps)
        out.push_back("/out/checkpoint-" + std::to_string(s));
    return out;
}

std::optional<std::string> best(std::int64_t step) {
    return "/out/checkpoint-" + std::to_string(step);
}

TEST(RotationRules, NoLimitOrZeroLimitDeletesNothing) {
    const auto all = entries({1, 2, 3, 4, 5});
    EXPECT_TRUE(checkpoints_to_rotate(all, std::nullopt, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, std::nullopt, best(1)).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, 0, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, 0, best(3)).empty());
    EXPECT_TRUE(checkpoints_to_rotate(all, -1, std::nullopt).empty());
}

TEST(RotationRules, AtOrUnderTheLimitDeletesNothing) {
    EXPECT_TRUE(checkpoints_to_rotate(entries({}), 2, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(entries({1, 2}), 2, std::nullopt).empty());
    EXPECT_TRUE(checkpoints_to_rotate(entries({1, 2}), 3, best(1)).empty());
    EXPECT_TRUE(checkpoints_to_rotate(entries({1}), 1, best(1)).empty());
}

TEST(RotationRules, LimitTwoWithoutBestDeletesTheOldest) {
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4}), 2, std::nullopt), paths({1, 2}));
    EXPECT_EQ(checkpoints_to_rotate(entries({9, 10, 100}), 2, std::nullopt), paths({9}));
}

TEST(RotationRules, BestInTheMiddleMovesToSecondToLast) {
    // sorted [1,2,3,4] becomes [1,3,2,4]: the two oldest of that order go.
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4}), 2, best(2)), paths({1, 3}));
    // [1,2,3,4,5] becomes [1,3,4,2,5].
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4, 5}), 3, best(2)), paths({1, 3}));
    // The oldest as best: [2,3,4,1,5].
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4, 5}), 3, best(1)), paths({2, 3}));
}

TEST(RotationRules, BestAlreadyLastChangesNothing) {
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4}), 2, best(4)), paths({1, 2}));
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3, 4}), 2, best(3)),
              paths({1, 2}));  // already second-to-last
}

TEST(RotationRules, LimitOneWithBestNotLastKeepsTwo) {
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3}), 1, best(2)), paths({1}));
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3}), 1, best(1)), paths({2}));
    // A best that is not among the folders (deleted by hand) still makes the limit 2.
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3}), 1, best(7)), paths({1}));
}

TEST(RotationRules, LimitOneWithBestLastKeepsOne) {
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3}), 1, best(3)), paths({1, 2}));
    EXPECT_EQ(checkpoints_to_rotate(entries({1, 2, 3}), 1, std::nullopt), paths({1, 2}));
}

TEST(RotationRules, ListingAndRotationTogetherOnDisk) {
    const auto out = tests::temp_dir("rotate-disk");
    for (int step : {9, 10, 100, 50})
        make_checkpoint(out / ("checkpoint-" + std::to_string(step)));
    make_checkpoint(out / "checkpoint-1", /*complete=*/false);  // never counted, never deleted
    const auto best_path = (out / "checkpoint-10").string();
    const auto doomed = checkpoints_to_rotate(list_checkpoints(out.string()), 2, best_path);
    // numeric order [9,10,50,100]; best 10 moves to [9,50,10,100].
    EXPECT_EQ(doomed, (std::vector<std::string>{(out / "checkpoint-9").string(),
                                                (out / "checkpoint-50").string()}));
}

// --- is_better ---

TEST(CheckpointBestMetric, FirstMetricIsAlwaysBetter) {
    EXPECT_TRUE(is_better(5.0, std::nullopt, false));
    EXPECT_TRUE(is_better(5.0, std::nullopt, true));
    EXPECT_TRUE(is_better(-1e30, std::nullopt, true));
}

TEST(CheckpointBestMetric, LowerIsBetterForLosses) {
    EXPECT_TRUE(is_better(1.0, 2.0, false));
    EXPECT_FALSE(is_better(3.0, 2.0, false));
    EXPECT_FALSE(is_better(2.0, 2.0, false)) << "a tie is not an improvement (np.less)";
}

TEST(CheckpointBestMetric, HigherIsBetterForAccuracies) {
    EXPECT_TRUE(is_better(0.9, 0.8, true));
    EXPECT_FALSE(is_better(0.7, 0.8, true));
    EXPECT_FALSE(is_better(0.8, 0.8, true)) << "a tie is not an improvement (np.greater)";
}

TEST(CheckpointBestMetric, ANanMetricNeverBeatsABest) {
    const double nan = std::nan("");
    EXPECT_FALSE(is_better(nan, 2.0, false));
    EXPECT_FALSE(is_better(nan, 2.0, true));
}

// --- folder_bytes ---

TEST(CheckpointFolderBytes, SumsRegularFilesRecursively) {
    const auto dir = tests::temp_dir("folder-bytes");
    EXPECT_EQ(folder_bytes(dir.string()), 0u);
    write_text(dir / "a.bin", std::string(1000, 'a'));
    write_text(dir / "sub" / "b.bin", std::string(234, 'b'));
    write_text(dir / "sub" / "deeper" / "c.bin", std::string(5, 'c'));
    write_text(dir / "empty", "");
    fs::create_directories(dir / "empty-dir");
    EXPECT_EQ(folder_bytes(dir.string()), 1239u);
    EXPECT_EQ(folder_bytes((dir / "missing").string()), 0u);
}

}  // namespace
}  // namespace lathe::core::checkpoints
