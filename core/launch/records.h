#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::launch {

// File names inside the run directory (docs/launch.md).
inline constexpr const char* kSupervisorRecordFile = "supervisor.json";
inline constexpr const char* kExitRecordFile = "lathe-train.exit.json";
inline constexpr const char* kStdoutLogFile = "stdout.log";
inline constexpr const char* kStderrLogFile = "stderr.log";
inline constexpr const char* kSupervisorLogFile = "supervisor.log";

// supervisor.json: written by the supervisor before the trainer runs any of its own code.
struct SupervisorRecord {
    pid_t supervisor_pid = 0;
    std::uint64_t supervisor_start_ticks = 0;  // /proc/PID/stat field 22, against pid reuse
    pid_t trainer_pid = 0;
    std::uint64_t trainer_start_ticks = 0;
    std::string boot_id;  // /proc/sys/kernel/random/boot_id when the run started
    double started_at_unix_s = 0;
    std::vector<std::string> command;
};

// lathe-train.exit.json: written by the supervisor once the trainer has been reaped.
struct ExitRecord {
    pid_t trainer_pid = 0;
    std::optional<int> exit_code;  // set when the trainer exited (127: it could not be executed)
    std::optional<int> signal;     // set when a signal killed it
    std::optional<std::string> signal_name;  // "SIGKILL"; null for a number without a name
    bool core_dumped = false;
    double ended_at_unix_s = 0;
    std::string description;  // "exited with code 3", "killed by signal 9 (SIGKILL; ...)"
};

nlohmann::json to_json(const SupervisorRecord& record);
nlohmann::json to_json(const ExitRecord& record);

// Throw Error naming `source` (the file) and the field that is missing or of the wrong type.
SupervisorRecord supervisor_record_from_json(const nlohmann::json& j, const std::string& source);
ExitRecord exit_record_from_json(const nlohmann::json& j, const std::string& source);

// Nullopt when the file does not exist; Error naming the file when it is not a valid record.
std::optional<SupervisorRecord> read_supervisor_record(const std::string& run_dir);
std::optional<ExitRecord> read_exit_record(const std::string& run_dir);

// Atomic (temp file, fsync, rename, directory fsync): a reader never sees half a record, and a
// record that was written survives a power cut.
void write_supervisor_record(const std::string& run_dir, const SupervisorRecord& record);
void write_exit_record(const std::string& run_dir, const ExitRecord& record);

}  // namespace lathe::core::launch
