#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace lathe::core::checkpoints {

// Transformers' TrainerState as trainer_state.json holds it: the same keys and JSON types (epoch,
// best_metric and total_flos floats; steps and counts integers), written as Transformers writes
// it (json.dumps(asdict(state), indent=2, sort_keys=True) + "\n", byte for byte).
// best_global_step is Transformers v5's key (4.46.3 has none); it is written as null when unset.
struct TrainerState {
    std::optional<std::int64_t> best_global_step;
    std::optional<double> best_metric;
    std::optional<std::string> best_model_checkpoint;
    double epoch = 0.0;
    std::int64_t eval_steps = 500;
    std::int64_t global_step = 0;
    bool is_hyper_param_search = false;
    bool is_local_process_zero = true;
    bool is_world_process_zero = true;
    // train {loss, grad_norm, learning_rate, epoch, step}, eval {eval_loss, eval_runtime, ...},
    // final {train_runtime, ..., train_loss, epoch, step} entries, kept as they are.
    nlohmann::json log_history = nlohmann::json::array();
    std::int64_t logging_steps = 500;
    std::int64_t max_steps = 0;
    std::int64_t num_input_tokens_seen = 0;
    std::int64_t num_train_epochs = 0;
    std::int64_t save_steps = 500;
    // {ClassName: {"args": {...}, "attributes": {...}}} (a list of those for duplicates).
    nlohmann::json stateful_callbacks = nlohmann::json::object();
    double total_flos = 0.0;
    std::int64_t train_batch_size = 8;
    std::optional<std::string> trial_name;
    nlohmann::json trial_params = nullptr;

    nlohmann::json to_json() const;
    // Missing keys keep their defaults (older and newer Transformers differ); unknown keys are
    // ignored. A key of the wrong type is an Error naming `source` and the key.
    static TrainerState from_json(const nlohmann::json& j, const std::string& source);
    // Reads trainer_state.json (NaN and Infinity included, as Python writes them).
    static TrainerState load(const std::string& path);
    // Atomic (written aside, fsynced, renamed).
    void save(const std::string& path) const;
    // The exact bytes save() writes.
    std::string to_file_text() const;
};

}  // namespace lathe::core::checkpoints
