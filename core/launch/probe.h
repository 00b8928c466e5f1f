#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/launch/records.h"

namespace lathe::core::launch {

// What the run directory and /proc say about a detached run right now.
struct ProcessState {
    std::optional<SupervisorRecord> supervisor;  // supervisor.json, if written yet
    bool supervisor_alive = false;  // also true while the supervisor runs its then-command
    bool trainer_alive = false;
    // lathe-train.exit.json, if written yet and for the trainer supervisor.json names.
    std::optional<ExitRecord> exit;
};

// Whether the process that had `pid` and `start_ticks` in boot `boot_id` is still running: the
// pid exists (kill(pid, 0) succeeds or says EPERM), is not a zombie, and /proc shows the same
// start ticks in the same boot. A reused pid or a reboot make it false.
bool is_same_process_alive(pid_t pid, std::uint64_t start_ticks, const std::string& boot_id);

// Reads supervisor.json and lathe-train.exit.json from `run_dir` and checks both processes.
// Throws Error naming the file when a record is malformed.
ProcessState probe(const std::string& run_dir);

// ProcessState as `lathe-supervisor --probe` prints it, and back (remote runs are probed on
// their node). process_state_from_json throws Error naming `source` and the field.
nlohmann::json to_json(const ProcessState& state);
ProcessState process_state_from_json(const nlohmann::json& j, const std::string& source);

// Sends `signal` to the run's trainer, only while probe() says it is alive (so a reused pid is
// never signalled). Throws Error "run DIR: the trainer process is not running" otherwise, and
// Error naming the run directory and pid when kill() fails.
void send_to_trainer(const std::string& run_dir, int signal);

}  // namespace lathe::core::launch
