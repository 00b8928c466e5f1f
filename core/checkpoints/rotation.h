#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lathe::core::checkpoints {

struct CheckpointEntry {
    std::string path;
    std::int64_t step = 0;
};

// Transformers' _sorted_checkpoints + _rotate_checkpoints (4.46.3), run after every save: the
// paths to delete, oldest first; nothing is deleted here. `sorted` is in step order
// (list_checkpoints). Paths compare as Python's str(Path(p)) does ("./out//a/" is "out/a").
//  - save_total_limit unset or <= 0: nothing;
//  - the best checkpoint, when listed, is moved to the second-to-last place;
//  - count <= limit: nothing;
//  - limit 1 with a best checkpoint that is not the last: the limit is 2, so that the last
//    checkpoint survives for resuming;
//  - otherwise the first count - limit paths.
std::vector<std::string> checkpoints_to_rotate(
    const std::vector<CheckpointEntry>& sorted, std::optional<std::int64_t> save_total_limit,
    const std::optional<std::string>& best_model_checkpoint);

// The cleanup at the end of Transformers' train(): with save_total_limit 1 and a best
// checkpoint, every checkpoint that is not the best one (same folder on disk). Nothing when the
// best folder does not exist (Transformers raises there).
std::vector<std::string> checkpoints_to_delete_at_train_end(
    const std::vector<CheckpointEntry>& sorted, std::optional<std::int64_t> save_total_limit,
    const std::optional<std::string>& best_model_checkpoint);

// Transformers' best-metric rule: better when there is no best yet, else metric > best
// (greater_is_better) or metric < best. A NaN metric is never better than a best.
bool is_better(double metric, std::optional<double> best, bool greater_is_better);

// Python's str(pathlib.PurePosixPath(p)): repeated "/" and "." parts dropped, no trailing "/".
std::string python_path_str(const std::string& p);

}  // namespace lathe::core::checkpoints
