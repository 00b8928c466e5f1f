#include "remote/runs/local_command.h"

#include <sys/wait.h>

#include <cstdio>

namespace lathe::remote::runs {

LocalCommandResult run_local(const std::string& command_line) {
    LocalCommandResult result;
    // popen's child inherits no extra descriptors: every descriptor Lathe opens is O_CLOEXEC.
    FILE* pipe = popen(("exec 2>&1; " + command_line).c_str(), "re");
    if (pipe == nullptr) {
        result.output = "could not start /bin/sh";
        return result;
    }
    char buffer[16384];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        result.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    if (status != -1 && WIFEXITED(status)) {
        result.exit_status = WEXITSTATUS(status);
    }
    return result;
}

}  // namespace lathe::remote::runs
