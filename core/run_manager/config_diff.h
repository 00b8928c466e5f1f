#pragma once

#include <nlohmann/json.hpp>

namespace lathe::core::run_manager {

// What a fork changed: {"learning_rate": {"from": 5e-05, "to": 0.0001}, ...} for every
// top-level key of two TrainingArguments objects whose values differ (a key missing on one side
// is null there). Keys that every resumed run changes anyway (output_dir,
// resume_from_checkpoint) are left out. Empty object when nothing else changed.
nlohmann::json training_args_diff(const nlohmann::json& before, const nlohmann::json& after);

// Where two run.json files differ, leaf by leaf, for comparing runs side by side:
// {"training_args.learning_rate": {"from": 0.001, "to": 0.0003}, "dataset.train_files.0": ...}
// (object keys joined with ".", array positions as numbers; a leaf missing on one side is null
// there). Fields that name the run rather than configure it (output_dir, run_name, logging_dir)
// are left out.
nlohmann::json run_config_diff(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace lathe::core::run_manager
