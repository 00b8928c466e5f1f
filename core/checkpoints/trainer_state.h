#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace lathe::core::checkpoints {

// Transformers' TrainerState, as trainer_state.json holds it (same keys and JSON types; written
// with indent 2, sorted keys and a final newline like json.dumps(..., indent=2, sort_keys=True)).
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
    nlohmann::json log_history = nlohmann::json::array();
    std::int64_t logging_steps = 500;
    std::int64_t max_steps = 0;
    std::int64_t num_input_tokens_seen = 0;
    std::int64_t num_train_epochs = 0;
    std::int64_t save_steps = 500;
    nlohmann::json stateful_callbacks = nlohmann::json::object();
    double total_flos = 0.0;
    std::int64_t train_batch_size = 8;
    std::optional<std::string> trial_name;
    nlohmann::json trial_params = nullptr;

    nlohmann::json to_json() const;
    static TrainerState from_json(const nlohmann::json& j, const std::string& source);
    static TrainerState load(const std::string& path);
    void save(const std::string& path) const;  // atomic
};

}  // namespace lathe::core::checkpoints
