#pragma once

#include <string>

namespace lathe::core::launch {

// Appends "2024-05-01T12:00:00Z supervisor[PID]: MESSAGE\n" to `fd` (supervisor.log) in one
// write(), so that lines from the supervisor and its then-command do not interleave mid-line.
void log_line(int fd, const std::string& message);

}  // namespace lathe::core::launch
