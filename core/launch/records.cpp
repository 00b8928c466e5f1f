#include "core/launch/records.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::launch {

namespace {

std::string path_in(const std::string& run_dir, const char* file) {
    return run_dir + "/" + file;
}

const nlohmann::json& field(const nlohmann::json& j, const char* name, const std::string& source) {
    if (!j.is_object()) {
        throw Error(source + ": not a JSON object");
    }
    auto it = j.find(name);
    if (it == j.end()) {
        throw Error(source + ": field \"" + name + "\" is missing");
    }
    return *it;
}

[[noreturn]] void wrong_type(const char* name, const char* expected, const std::string& source) {
    throw Error(source + ": field \"" + name + "\" is not " + expected);
}

std::int64_t integer(const nlohmann::json& j, const char* name, const std::string& source) {
    const auto& v = field(j, name, source);
    if (!v.is_number_integer()) {
        wrong_type(name, "an integer", source);
    }
    return v.get<std::int64_t>();
}

std::uint64_t unsigned_integer(const nlohmann::json& j, const char* name,
                               const std::string& source) {
    const auto& v = field(j, name, source);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
        wrong_type(name, "a non-negative integer", source);
    }
    return v.get<std::uint64_t>();
}

std::optional<int> optional_integer(const nlohmann::json& j, const char* name,
                                    const std::string& source) {
    const auto& v = field(j, name, source);
    if (v.is_null()) {
        return std::nullopt;
    }
    if (!v.is_number_integer()) {
        wrong_type(name, "an integer or null", source);
    }
    return v.get<int>();
}

double number(const nlohmann::json& j, const char* name, const std::string& source) {
    const auto& v = field(j, name, source);
    if (!v.is_number()) {
        wrong_type(name, "a number", source);
    }
    return v.get<double>();
}

std::string string(const nlohmann::json& j, const char* name, const std::string& source) {
    const auto& v = field(j, name, source);
    if (!v.is_string()) {
        wrong_type(name, "a string", source);
    }
    return v.get<std::string>();
}

// Nullopt when the file does not exist; the parsed JSON otherwise.
std::optional<nlohmann::json> read_json_if_exists(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw Error(path + ": cannot stat: " + std::strerror(errno));
    }
    const std::string text = util::read_file(path);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(path + ": not valid JSON: " + e.what());
    }
}

}  // namespace

nlohmann::json to_json(const SupervisorRecord& r) {
    return nlohmann::json{
        {"supervisor_pid", r.supervisor_pid},
        {"supervisor_start_ticks", r.supervisor_start_ticks},
        {"trainer_pid", r.trainer_pid},
        {"trainer_start_ticks", r.trainer_start_ticks},
        {"boot_id", r.boot_id},
        {"started_at", r.started_at_unix_s},
        {"command", r.command},
    };
}

nlohmann::json to_json(const ExitRecord& r) {
    auto or_null = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    return nlohmann::json{
        {"trainer_pid", r.trainer_pid}, {"exit_code", or_null(r.exit_code)},
        {"signal", or_null(r.signal)},  {"signal_name", or_null(r.signal_name)},
        {"core_dumped", r.core_dumped}, {"ended_at", r.ended_at_unix_s},
        {"description", r.description},
    };
}

SupervisorRecord supervisor_record_from_json(const nlohmann::json& j, const std::string& source) {
    SupervisorRecord r;
    r.supervisor_pid = static_cast<pid_t>(integer(j, "supervisor_pid", source));
    r.supervisor_start_ticks = unsigned_integer(j, "supervisor_start_ticks", source);
    r.trainer_pid = static_cast<pid_t>(integer(j, "trainer_pid", source));
    r.trainer_start_ticks = unsigned_integer(j, "trainer_start_ticks", source);
    r.boot_id = string(j, "boot_id", source);
    r.started_at_unix_s = number(j, "started_at", source);
    const auto& command = field(j, "command", source);
    if (!command.is_array()) {
        wrong_type("command", "an array of strings", source);
    }
    for (const auto& arg : command) {
        if (!arg.is_string()) {
            wrong_type("command", "an array of strings", source);
        }
        r.command.push_back(arg.get<std::string>());
    }
    return r;
}

ExitRecord exit_record_from_json(const nlohmann::json& j, const std::string& source) {
    ExitRecord r;
    r.trainer_pid = static_cast<pid_t>(integer(j, "trainer_pid", source));
    r.exit_code = optional_integer(j, "exit_code", source);
    r.signal = optional_integer(j, "signal", source);
    const auto& name = field(j, "signal_name", source);
    if (name.is_string()) {
        r.signal_name = name.get<std::string>();
    } else if (!name.is_null()) {
        wrong_type("signal_name", "a string or null", source);
    }
    const auto& core = field(j, "core_dumped", source);
    if (!core.is_boolean()) {
        wrong_type("core_dumped", "a boolean", source);
    }
    r.core_dumped = core.get<bool>();
    r.ended_at_unix_s = number(j, "ended_at", source);
    r.description = string(j, "description", source);
    if (r.exit_code.has_value() == r.signal.has_value()) {
        throw Error(source + ": exactly one of \"exit_code\" and \"signal\" must be set");
    }
    return r;
}

std::optional<SupervisorRecord> read_supervisor_record(const std::string& run_dir) {
    const std::string path = path_in(run_dir, kSupervisorRecordFile);
    auto j = read_json_if_exists(path);
    if (!j) {
        return std::nullopt;
    }
    return supervisor_record_from_json(*j, path);
}

std::optional<ExitRecord> read_exit_record(const std::string& run_dir) {
    const std::string path = path_in(run_dir, kExitRecordFile);
    auto j = read_json_if_exists(path);
    if (!j) {
        return std::nullopt;
    }
    return exit_record_from_json(*j, path);
}

void write_supervisor_record(const std::string& run_dir, const SupervisorRecord& record) {
    util::write_file_atomic(path_in(run_dir, kSupervisorRecordFile),
                            to_json(record).dump(2) + "\n");
}

void write_exit_record(const std::string& run_dir, const ExitRecord& record) {
    util::write_file_atomic(path_in(run_dir, kExitRecordFile), to_json(record).dump(2) + "\n");
}

}  // namespace lathe::core::launch
