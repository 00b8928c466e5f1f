#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace lathe::core::launch {

// The parts of /proc/PID/stat that tell one process from a later one with the same pid.
struct ProcStat {
    char state = '?';               // 'R', 'S', 'Z' (zombie: ended, not yet reaped), ...
    pid_t parent_pid = 0;           // field 4
    std::uint64_t start_ticks = 0;  // field 22: clock ticks after boot; never changes by exec
};

// Nullopt when there is no such process (or /proc cannot be read, e.g. not Linux).
std::optional<ProcStat> read_proc_stat(pid_t pid);

// /proc/sys/kernel/random/boot_id without its newline; empty where the file does not exist. Pids
// and start ticks only identify a process within one boot.
std::string current_boot_id();

// Seconds since the epoch, with sub-second precision.
double unix_now_s();

}  // namespace lathe::core::launch
