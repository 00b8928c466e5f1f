#include "core/checkpoints/trainer_state.h"

#include "core/checkpoints/python_json.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::checkpoints {
namespace {

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

[[noreturn]] void wrong_type(const std::string& source, const char* key, const char* expected,
                             const json& value) {
    throw Error(source + ": \"" + key + "\" must be " + expected + ", got " +
                value.dump(-1, ' ', false, json::error_handler_t::replace));
}

// nullptr when the key is missing or null.
const json* find(const json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::int64_t> get_int(const json& j, const char* key, const std::string& source) {
    const json* v = find(j, key);
    if (!v)
        return std::nullopt;
    if (!v->is_number_integer())
        wrong_type(source, key, "an integer", *v);
    return v->get<std::int64_t>();
}

std::optional<double> get_float(const json& j, const char* key, const std::string& source) {
    const json* v = find(j, key);
    if (!v)
        return std::nullopt;
    if (!v->is_number())
        wrong_type(source, key, "a number", *v);
    return v->get<double>();
}

std::optional<bool> get_bool(const json& j, const char* key, const std::string& source) {
    const json* v = find(j, key);
    if (!v)
        return std::nullopt;
    if (!v->is_boolean())
        wrong_type(source, key, "true or false", *v);
    return v->get<bool>();
}

std::optional<std::string> get_string(const json& j, const char* key, const std::string& source) {
    const json* v = find(j, key);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        wrong_type(source, key, "a string", *v);
    return v->get<std::string>();
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
    if (!j.is_object()) {
        throw Error(source + ": a trainer state must be a JSON object, got " + j.type_name());
    }
    TrainerState s;
    s.best_global_step = get_int(j, "best_global_step", source);
    s.best_metric = get_float(j, "best_metric", source);
    s.best_model_checkpoint = get_string(j, "best_model_checkpoint", source);
    s.epoch = get_float(j, "epoch", source).value_or(s.epoch);
    s.eval_steps = get_int(j, "eval_steps", source).value_or(s.eval_steps);
    s.global_step = get_int(j, "global_step", source).value_or(s.global_step);
    s.is_hyper_param_search =
        get_bool(j, "is_hyper_param_search", source).value_or(s.is_hyper_param_search);
    s.is_local_process_zero =
        get_bool(j, "is_local_process_zero", source).value_or(s.is_local_process_zero);
    s.is_world_process_zero =
        get_bool(j, "is_world_process_zero", source).value_or(s.is_world_process_zero);
    if (const json* v = find(j, "log_history")) {
        if (!v->is_array())
            wrong_type(source, "log_history", "a list", *v);
        for (const auto& entry : *v) {
            if (!entry.is_object())
                wrong_type(source, "log_history", "a list of objects", entry);
        }
        s.log_history = *v;
    }
    s.logging_steps = get_int(j, "logging_steps", source).value_or(s.logging_steps);
    s.max_steps = get_int(j, "max_steps", source).value_or(s.max_steps);
    s.num_input_tokens_seen =
        get_int(j, "num_input_tokens_seen", source).value_or(s.num_input_tokens_seen);
    s.num_train_epochs = get_int(j, "num_train_epochs", source).value_or(s.num_train_epochs);
    s.save_steps = get_int(j, "save_steps", source).value_or(s.save_steps);
    if (const json* v = find(j, "stateful_callbacks")) {
        if (!v->is_object())
            wrong_type(source, "stateful_callbacks", "an object", *v);
        s.stateful_callbacks = *v;
    }
    s.total_flos = get_float(j, "total_flos", source).value_or(s.total_flos);
    s.train_batch_size = get_int(j, "train_batch_size", source).value_or(s.train_batch_size);
    s.trial_name = get_string(j, "trial_name", source);
    if (auto it = j.find("trial_params"); it != j.end())
        s.trial_params = *it;
    return s;
}

TrainerState TrainerState::load(const std::string& path) {
    return from_json(python_json_loads(util::read_file(path), path), path);
}

std::string TrainerState::to_file_text() const {
    return python_json_dumps(to_json(), 2) + "\n";
}

void TrainerState::save(const std::string& path) const {
    util::write_file_atomic(path, to_file_text());
}

}  // namespace lathe::core::checkpoints
