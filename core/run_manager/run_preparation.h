#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/run_config.h"

namespace lathe::core::run_manager {

// A run configuration checked the way lathe-train will check it, so that a bad config is refused
// before anything is registered or started (nothing half-starts).
struct PreparedRun {
    run::RunConfig config;  // training_args complete (every field), relative paths absolute
    std::vector<std::string> warnings;
};

// How a new run relates to its checkpoint (resume, fork, continue).
struct ResumeFrom {
    std::string checkpoint_path;  // a checkpoint-N folder with trainer_state.json
    std::int64_t max_steps = -1;  // > 0: override max_steps (continue +N steps)
    // The checkpoint is on the node that ran the parent (a remote run): it cannot be checked
    // here; the worker there checks it when it starts.
    bool on_node = false;
};

// Reads run.json at `config_path` (empty: the embedded default), applies `overrides`
// ("--learning_rate 3e-4" style, as lathe-train takes them) and validates everything, including
// that the files it names exist. Errors name the file and field.
PreparedRun prepare_run(const std::string& config_path, const std::vector<std::string>& overrides);

// The same for a run.json already loaded (a parent run's), naming `source` in errors, with the
// resume applied before the overrides.
PreparedRun prepare_run_json(const nlohmann::json& run_json, const std::string& source,
                             const std::vector<std::string>& overrides,
                             const ResumeFrom* resume = nullptr);

// Places a prepared run in its run directory: output_dir becomes the run directory itself, so
// that checkpoints of different runs never mix. Returns run.json's content.
nlohmann::json run_json_for_directory(PreparedRun prepared, const std::string& run_dir);

}  // namespace lathe::core::run_manager
