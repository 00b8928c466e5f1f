#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/checkpoints/rotation.h"

namespace lathe::core::checkpoints {

std::string checkpoint_dir_name(std::int64_t step);  // "checkpoint-<step>"
// The step of a folder named "checkpoint-<digits>"; nullopt for any other name (or a step too
// large for int64).
std::optional<std::int64_t> checkpoint_step(const std::string& name);

// Complete checkpoints only: folders named checkpoint-<digits> that hold trainer_state.json
// (Transformers writes it last; Lathe's folders also appear only by an atomic rename), so that a
// folder left by a crash mid-save is never taken for a checkpoint. Sorted by step. A missing
// output_dir has none; an unreadable one is an Error naming it.
std::vector<CheckpointEntry> list_checkpoints(const std::string& output_dir);
// The complete checkpoint with the highest step.
std::optional<std::string> latest_checkpoint(const std::string& output_dir);

// A checkpoint is written into "<output_dir>/.tmp-checkpoint-<step>-<pid>" (path()), then
// commit() fsyncs every file and folder in it and renames it to checkpoint-<step>. An existing
// checkpoint-<step> is first renamed aside (".tmp-old-checkpoint-<step>-<pid>") and deleted only
// once the new folder is in place and the rename is synced. A crash at any moment leaves the old
// checkpoint, the new one, or (between the two renames) the old one aside, which
// remove_stale_staging puts back; never a checkpoint-<step> that is incomplete.
class CheckpointStaging {
  public:
    // Creates output_dir when needed and an empty staging folder (removing a leftover one).
    CheckpointStaging(const std::string& output_dir, std::int64_t step);
    ~CheckpointStaging();  // removes the staging folder unless committed
    CheckpointStaging(const CheckpointStaging&) = delete;
    CheckpointStaging& operator=(const CheckpointStaging&) = delete;

    const std::string& path() const { return path_; }
    // Returns the final path, output_dir/checkpoint-<step>. Throws Error naming the folder.
    std::string commit();

  private:
    std::string output_dir_;
    std::int64_t step_ = 0;
    std::string path_;
    bool committed_ = false;
};

// At start, before any save: deletes ".tmp-checkpoint-*" staging and ".tmp-delete-checkpoint-*"
// folders whose process is gone, and puts a ".tmp-old-checkpoint-<step>-*" folder back as
// checkpoint-<step> when that one is missing (a crash between commit's two renames), deleting it
// otherwise. Folders of this process's own pid count as stale (a container restarts with the same
// pid). Returns one line per action, for a warning.
std::vector<std::string> remove_stale_staging(const std::string& output_dir);

// Deletes a checkpoint folder so that a crash midway never leaves a checkpoint-N that
// list_checkpoints would return: it is renamed to ".tmp-delete-checkpoint-<step>-<pid>" first.
// Throws Error naming the folder.
void remove_checkpoint(const std::string& path);

// fsyncs every file and folder under `dir` and `dir` itself. Throws Error naming the path.
void sync_tree(const std::string& dir);

// Total bytes of the regular files under `path` (for checkpoint_saved events); 0 if missing.
std::uint64_t folder_bytes(const std::string& path);

}  // namespace lathe::core::checkpoints
