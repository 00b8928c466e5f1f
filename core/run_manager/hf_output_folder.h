#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::run_manager {

// What a Hugging Face Trainer output folder (output_dir with checkpoint-N/ folders, each with a
// trainer_state.json) says about the run that wrote it.
struct HfCheckpoint {
    std::int64_t step = 0;
    std::string path;
    std::uint64_t bytes = 0;
    nlohmann::json metrics = nlohmann::json::object();  // the eval entry logged at that step
    bool best = false;
    bool resumable_by_lathe = false;  // has lathe_loop_state.json (a Lathe checkpoint)
    double modified_at = 0.0;         // trainer_state.json's mtime
};

struct HfMetricPoint {
    std::int64_t seq = 0;  // 1 + the entry's index in log_history
    std::int64_t step = 0;
    std::optional<double> epoch;
    std::string key;
    double value = 0.0;
};

struct HfOutputFolder {
    std::string folder;
    std::vector<HfCheckpoint> checkpoints;  // complete ones, by step
    std::vector<HfMetricPoint> points;      // every numeric log_history value but step/epoch
    std::int64_t global_step = 0;
    std::int64_t max_steps = 0;
    std::optional<std::string> best_model_checkpoint;
    double started_at = 0.0;  // oldest checkpoint's mtime (Transformers records no times)
    double ended_at = 0.0;    // newest trainer_state.json's mtime
    nlohmann::json model_config = nullptr;  // the newest checkpoint's config.json, when readable
};

// Reads the folder: the trainer_state.json with the highest global_step (the newest checkpoint's,
// or output_dir's own one that trainer.save_state() writes) carries the whole log_history.
// Error naming the folder when it holds no checkpoint-N/trainer_state.json nor trainer_state.json,
// and naming the file when one is malformed.
HfOutputFolder read_hf_output_folder(const std::string& folder);

}  // namespace lathe::core::run_manager
