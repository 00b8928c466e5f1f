#pragma once

#include <string>

namespace lathe::remote::runs {

struct LocalCommandResult {
    int exit_status = -1;  // -1: killed by a signal or could not be started
    std::string output;    // stdout and stderr, interleaved as written
};

// Runs `command_line` with /bin/sh on this machine (built with ssh::shell_quote, like remote
// command lines) and collects its output. For the few things done the same way here as on a
// node: probing this machine, packing the source for "Install on host".
LocalCommandResult run_local(const std::string& command_line);

}  // namespace lathe::remote::runs
