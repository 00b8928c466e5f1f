#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe::core::checkpoints {

std::string checkpoint_dir_name(std::int64_t step);  // "checkpoint-<step>"

struct CheckpointEntry {
    std::string path;
    std::int64_t step = 0;
};

// Complete checkpoints only: folders named checkpoint-<digits> holding trainer_state.json (it is
// written last, and the folder itself only appears by an atomic rename). Sorted by step.
std::vector<CheckpointEntry> list_checkpoints(const std::string& output_dir);
std::optional<std::string> latest_checkpoint(const std::string& output_dir);

// A checkpoint is written into "<output_dir>/.tmp-checkpoint-<step>-<pid>", synced, then renamed
// to checkpoint-<step>: a crash at any moment leaves either the old state or the complete new
// folder, never a checkpoint-N that looks complete and is not.
class CheckpointStaging {
public:
    CheckpointStaging(const std::string& output_dir, std::int64_t step);
    ~CheckpointStaging();  // removes the staging folder unless committed
    CheckpointStaging(const CheckpointStaging&) = delete;
    CheckpointStaging& operator=(const CheckpointStaging&) = delete;

    const std::string& path() const { return path_; }
    std::string commit();  // returns the final path

private:
    std::string output_dir_;
    std::int64_t step_;
    std::string path_;
    bool committed_ = false;
};

// Staging folders left by processes that died mid-save.
void remove_stale_staging(const std::string& output_dir);

// Transformers' _sorted_checkpoints + _rotate_checkpoints: the paths to delete for
// save_total_limit, the best checkpoint protected (moved to second-to-last; a limit of 1 keeps 2
// when the best is not the last).
std::vector<std::string> checkpoints_to_rotate(const std::vector<CheckpointEntry>& sorted,
                                               std::optional<std::int64_t> save_total_limit,
                                               const std::optional<std::string>& best_model_checkpoint);

// Transformers' rule for a new best metric.
bool is_better(double metric, std::optional<double> best, bool greater_is_better);

std::uint64_t folder_bytes(const std::string& path);

}  // namespace lathe::core::checkpoints
