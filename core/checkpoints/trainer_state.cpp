#include "core/checkpoints/trainer_state.h"

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::checkpoints {
namespace {

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

template <typename T>
T get(const json& j, const char* key, T fallback, const std::string& source) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw Error(source + ": \"" + key + "\" has the wrong type: " + it->dump());
    }
}

template <typename T>
std::optional<T> get_optional(const json& j, const char* key, const std::string& source) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return get<T>(j, key, T{}, source);
}

}  // namespace

json TrainerState::to_json() const {
    return {{"best_global_step", optional_json(best_global_step)},
            {"best_metric", optional_json(best_metric)},
            {"best_model_checkpoint", optional_json(best_model_checkpoint)},
            {"epoch", epoch},
            {"eval_steps", eval_steps},
            {"global_step", global_step},
            {"is_hyper_param_search", is_hyper_param_search},
            {"is_local_process_zero", is_local_process_zero},
            {"is_world_process_zero", is_world_process_zero},
            {"log_history", log_history},
            {"logging_steps", logging_steps},
            {"max_steps", max_steps},
            {"num_input_tokens_seen", num_input_tokens_seen},
            {"num_train_epochs", num_train_epochs},
            {"save_steps", save_steps},
            {"stateful_callbacks", stateful_callbacks},
            {"total_flos", total_flos},
            {"train_batch_size", train_batch_size},
            {"trial_name", optional_json(trial_name)},
            {"trial_params", trial_params}};
}

TrainerState TrainerState::from_json(const json& j, const std::string& source) {
    if (!j.is_object()) throw Error(source + ": trainer state must be a JSON object");
    TrainerState s;
    s.best_global_step = get_optional<std::int64_t>(j, "best_global_step", source);
    s.best_metric = get_optional<double>(j, "best_metric", source);
    s.best_model_checkpoint = get_optional<std::string>(j, "best_model_checkpoint", source);
    s.epoch = get<double>(j, "epoch", 0.0, source);
    s.eval_steps = get<std::int64_t>(j, "eval_steps", 500, source);
    s.global_step = get<std::int64_t>(j, "global_step", 0, source);
    s.is_hyper_param_search = get<bool>(j, "is_hyper_param_search", false, source);
    s.is_local_process_zero = get<bool>(j, "is_local_process_zero", true, source);
    s.is_world_process_zero = get<bool>(j, "is_world_process_zero", true, source);
    s.log_history = j.value("log_history", json::array());
    s.logging_steps = get<std::int64_t>(j, "logging_steps", 500, source);
    s.max_steps = get<std::int64_t>(j, "max_steps", 0, source);
    s.num_input_tokens_seen = get<std::int64_t>(j, "num_input_tokens_seen", 0, source);
    s.num_train_epochs = get<std::int64_t>(j, "num_train_epochs", 0, source);
    s.save_steps = get<std::int64_t>(j, "save_steps", 500, source);
    s.stateful_callbacks = j.value("stateful_callbacks", json::object());
    s.total_flos = get<double>(j, "total_flos", 0.0, source);
    s.train_batch_size = get<std::int64_t>(j, "train_batch_size", 8, source);
    s.trial_name = get_optional<std::string>(j, "trial_name", source);
    s.trial_params = j.value("trial_params", json(nullptr));
    return s;
}

TrainerState TrainerState::load(const std::string& path) {
    json j;
    try {
        j = json::parse(util::read_file(path));
    } catch (const json::parse_error& e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
    return from_json(j, path);
}

void TrainerState::save(const std::string& path) const {
    util::write_file_atomic(path, to_json().dump(2) + "\n");
}

}  // namespace lathe::core::checkpoints
