#pragma once

#include <string>

namespace lathe::core::launch {

// "SIGKILL", "SIGRTMIN+3"; an empty string for a number no table knows.
std::string signal_name(int signal);

// "signal 9 (SIGKILL; the out-of-memory killer does this)", "signal 11 (SIGSEGV, core dumped)",
// "signal 15 (SIGTERM)"; a number without a name is just "signal 77".
std::string describe_signal(int signal, bool core_dumped = false);

// What a waitpid() status means, for people: "exited with code 3",
// "killed by signal 15 (SIGTERM)".
std::string describe_wait_status(int wait_status);

}  // namespace lathe::core::launch
