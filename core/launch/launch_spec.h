#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace lathe::core::launch {

// One detached run: the trainer `command` runs under `supervisor_program` (lathe-supervisor),
// which records in `run_dir` how it ended (docs/launch.md).
struct LaunchSpec {
    std::string supervisor_program;    // path of lathe-supervisor
    std::string run_dir;               // must exist; made absolute before it is passed on
    std::vector<std::string> command;  // argv of the trainer; command[0] an absolute path
    // Optional: exec'd by the supervisor (in its own place, same pid) once the exit record is
    // durable, e.g. to ingest the run and start the next queued one. command[0] absolute.
    std::vector<std::string> then_command;
    // Added to (or replacing in) the trainer's environment only; then_command does not get them.
    std::vector<std::pair<std::string, std::string>> extra_env;
};

struct LaunchResult {
    pid_t supervisor_pid = 0;
};

}  // namespace lathe::core::launch
