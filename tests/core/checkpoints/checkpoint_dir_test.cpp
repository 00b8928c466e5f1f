#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

void make_checkpoint(const fs::path& dir, const std::string& marker = "{}\n") {
    write(dir / "model.safetensors", "weights");
    write(dir / "trainer_state.json", marker);
}

// A pid that belonged to a process that has exited.
pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(CheckpointDir, Names) {
    EXPECT_EQ(checkpoint_dir_name(0), "checkpoint-0");
    EXPECT_EQ(checkpoint_dir_name(1500), "checkpoint-1500");
}

TEST(CheckpointDir, ListsCompleteCheckpointsInStepOrder) {
    const auto out = tests::temp_dir("ckpt-list");
    make_checkpoint(out / "checkpoint-100");
    make_checkpoint(out / "checkpoint-20");
    make_checkpoint(out / "checkpoint-3");
    write(out / "checkpoint-7" / "model.safetensors", "no trainer_state.json: incomplete");
    make_checkpoint(out / "checkpoint-abc");
    make_checkpoint(out / "checkpoint-12x");
    make_checkpoint(out / "checkpoint-");
    make_checkpoint(out / "xcheckpoint-5");
    make_checkpoint(out / ".tmp-checkpoint-40-12345");
    write(out / "checkpoint-50", "a file, not a folder");
    make_checkpoint(out / "checkpoint-99999999999999999999");  // beyond int64
    const auto all = list_checkpoints(out.string());
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].step, 3);
    EXPECT_EQ(all[1].step, 20);
    EXPECT_EQ(all[2].step, 100);
    EXPECT_EQ(all[2].path, (out / "checkpoint-100").string());
    EXPECT_EQ(latest_checkpoint(out.string()), (out / "checkpoint-100").string());
}

TEST(CheckpointDir, MissingOrEmptyOutputDirHasNoCheckpoints) {
    const auto out = tests::temp_dir("ckpt-empty");
    EXPECT_TRUE(list_checkpoints(out.string()).empty());
    EXPECT_FALSE(latest_checkpoint(out.string()).has_value());
    EXPECT_TRUE(list_checkpoints((out / "missing").string()).empty());
    EXPECT_FALSE(latest_checkpoint((out / "missing").string()).has_value());
}

TEST(CheckpointDir, LatestSkipsANewerIncompleteCheckpoint) {
    const auto out = tests::temp_dir("ckpt-latest-incomplete");
    make_checkpoint(out / "checkpoint-10");
    write(out / "checkpoint-20" / "model.safetensors", "crashed before trainer_state.json");
    EXPECT_EQ(latest_checkpoint(out.string()), (out / "checkpoint-10").string());
}

TEST(CheckpointStaging, CommitRenamesIntoPlace) {
    const auto out = tests::temp_dir("ckpt-commit") / "output";  // created by the staging
    std::string final_path;
    {
        CheckpointStaging staging(out.string(), 30);
        EXPECT_EQ(fs::path(staging.path()).filename().string(),
                  ".tmp-checkpoint-30-" + std::to_string(::getpid()));
        EXPECT_TRUE(fs::is_directory(staging.path()));
        make_checkpoint(staging.path(), "{\"global_step\": 30}\n");
        write(fs::path(staging.path()) / "sub" / "nested.bin", "x");
        EXPECT_TRUE(list_checkpoints(out.string()).empty());  // not visible before commit
        final_path = staging.commit();
        EXPECT_THROW(staging.commit(), Error);
    }
    EXPECT_EQ(final_path, (out / "checkpoint-30").string());
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-30"});
    EXPECT_EQ(util::read_file((out / "checkpoint-30" / "trainer_state.json").string()),
              "{\"global_step\": 30}\n");
    EXPECT_TRUE(fs::exists(out / "checkpoint-30" / "sub" / "nested.bin"));
    EXPECT_EQ(latest_checkpoint(out.string()), final_path);
}

TEST(CheckpointStaging, AbandonedStagingIsRemoved) {
    const auto out = tests::temp_dir("ckpt-abort");
    std::string staging_path;
    {
        CheckpointStaging staging(out.string(), 5);
        staging_path = staging.path();
        make_checkpoint(staging.path());
    }  // an exception mid-save, say
    EXPECT_FALSE(fs::exists(staging_path));
    EXPECT_TRUE(names_in(out).empty());
}

TEST(CheckpointStaging, ReplacesAnExistingCheckpoint) {
    const auto out = tests::temp_dir("ckpt-replace");
    make_checkpoint(out / "checkpoint-10", "old\n");
    write(out / "checkpoint-10" / "only_in_old.txt", "x");
    CheckpointStaging staging(out.string(), 10);
    make_checkpoint(staging.path(), "new\n");
    staging.commit();
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-10"});  // nothing aside left
    EXPECT_EQ(util::read_file((out / "checkpoint-10" / "trainer_state.json").string()), "new\n");
    EXPECT_FALSE(fs::exists(out / "checkpoint-10" / "only_in_old.txt"));
}

TEST(CheckpointStaging, LeftoverStagingOfTheSameStepIsReplaced) {
    const auto out = tests::temp_dir("ckpt-leftover");
    const auto leftover = out / (".tmp-checkpoint-8-" + std::to_string(::getpid()));
    write(leftover / "junk", "from an earlier attempt");
    CheckpointStaging staging(out.string(), 8);
    EXPECT_FALSE(fs::exists(leftover / "junk"));
}

TEST(CheckpointCrash, LeftoversAreNeverListedAndAreCleanedAtStart) {
    const auto out = tests::temp_dir("ckpt-crash");
    const std::string dead = std::to_string(dead_pid());
    make_checkpoint(out / "checkpoint-10");
    // Killed while filling the staging folder (even with trainer_state.json already in it).
    make_checkpoint(out / (".tmp-checkpoint-20-" + dead));
    // A Transformers-style crash: the folder exists, trainer_state.json was never written.
    write(out / "checkpoint-30" / "model.safetensors", "partial");
    // Killed in the middle of deleting a rotated checkpoint.
    write(out / (".tmp-delete-checkpoint-5-" + dead) / "optimizer.pt", "half deleted");
    // A save in progress in a live process (our parent) is left alone.
    const auto live = out / (".tmp-checkpoint-40-" + std::to_string(::getppid()));
    write(live / "model.safetensors", "being written");
    // Our own pid (a container restarted with the same pid) counts as stale.
    const auto own = out / (".tmp-checkpoint-50-" + std::to_string(::getpid()));
    write(own / "model.safetensors", "from a previous life");

    ASSERT_EQ(list_checkpoints(out.string()).size(), 1u);
    EXPECT_EQ(latest_checkpoint(out.string()), (out / "checkpoint-10").string());

    const auto notes = remove_stale_staging(out.string());
    EXPECT_EQ(notes.size(), 3u);
    EXPECT_EQ(names_in(out),
              (std::vector<std::string>{".tmp-checkpoint-40-" + std::to_string(::getppid()),
                                        "checkpoint-10", "checkpoint-30"}));
    EXPECT_EQ(latest_checkpoint(out.string()), (out / "checkpoint-10").string());
}

TEST(CheckpointCrash, ACrashBetweenTheTwoRenamesIsUndoneAtStart) {
    const auto out = tests::temp_dir("ckpt-crash-rename");
    const std::string dead = std::to_string(dead_pid());
    // The old checkpoint-10 was moved aside, the new one is still staged.
    make_checkpoint(out / (".tmp-old-checkpoint-10-" + dead), "old\n");
    make_checkpoint(out / (".tmp-checkpoint-10-" + dead), "new\n");
    EXPECT_TRUE(list_checkpoints(out.string()).empty());
    const auto notes = remove_stale_staging(out.string());
    EXPECT_EQ(notes.size(), 2u);
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-10"});
    EXPECT_EQ(util::read_file((out / "checkpoint-10" / "trainer_state.json").string()), "old\n");
}

TEST(CheckpointCrash, AnAsideCopyIsDroppedWhenTheNewCheckpointIsInPlace) {
    const auto out = tests::temp_dir("ckpt-crash-after-rename");
    const std::string dead = std::to_string(dead_pid());
    make_checkpoint(out / "checkpoint-10", "new\n");
    make_checkpoint(out / (".tmp-old-checkpoint-10-" + dead), "old\n");
    remove_stale_staging(out.string());
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-10"});
    EXPECT_EQ(util::read_file((out / "checkpoint-10" / "trainer_state.json").string()), "new\n");
}

TEST(CheckpointCrash, StaleStagingOnAMissingDirIsNothing) {
    EXPECT_TRUE(
        remove_stale_staging((tests::temp_dir("ckpt-stale-missing") / "nope").string()).empty());
}

TEST(CheckpointRemove, DeletesTheFolderAndNothingElse) {
    const auto out = tests::temp_dir("ckpt-remove");
    make_checkpoint(out / "checkpoint-1");
    make_checkpoint(out / "checkpoint-2");
    remove_checkpoint((out / "checkpoint-1").string());
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-2"});
    remove_checkpoint((out / "checkpoint-1").string());  // already gone: nothing to do
    write(out / "other" / "x", "y");
    remove_checkpoint((out / "other").string());
    EXPECT_EQ(names_in(out), std::vector<std::string>{"checkpoint-2"});
}

TEST(CheckpointFolderBytes, SumsRegularFilesRecursively) {
    const auto dir = tests::temp_dir("ckpt-bytes");
    write(dir / "a", std::string(100, 'a'));
    write(dir / "sub" / "b", std::string(23, 'b'));
    EXPECT_EQ(folder_bytes(dir.string()), 123u);
    EXPECT_EQ(folder_bytes((dir / "missing").string()), 0u);
}

}  // namespace
}  // namespace lathe::core::checkpoints
