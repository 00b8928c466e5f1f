#include "core/launch/probe.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "core/launch/proc_info.h"
#include "core/launch/signals.h"
#include "core/util/error.h"

namespace lathe::core::launch {

bool is_same_process_alive(pid_t pid, std::uint64_t start_ticks, const std::string& boot_id) {
    if (pid <= 0 || boot_id != current_boot_id()) {
        return false;  // after a reboot every recorded pid belongs to someone else
    }
    if (::kill(pid, 0) != 0 && errno != EPERM) {
        return false;
    }
    const auto stat = read_proc_stat(pid);
    return stat && stat->state != 'Z' && stat->state != 'X' && stat->start_ticks == start_ticks;
}

ProcessState probe(const std::string& run_dir) {
    ProcessState state;
    state.supervisor = read_supervisor_record(run_dir);
    state.exit = read_exit_record(run_dir);
    // A new attempt in the same directory removes the old exit record before it rewrites
    // supervisor.json, but a reader can fall between the two reads: a record whose pid is not the
    // recorded trainer's belongs to another attempt.
    if (state.exit && state.supervisor &&
        state.exit->trainer_pid != state.supervisor->trainer_pid) {
        state.exit.reset();
    }
    if (state.supervisor) {
        const auto& r = *state.supervisor;
        state.supervisor_alive =
            is_same_process_alive(r.supervisor_pid, r.supervisor_start_ticks, r.boot_id);
        state.trainer_alive =
            is_same_process_alive(r.trainer_pid, r.trainer_start_ticks, r.boot_id);
    }
    return state;
}

void send_to_trainer(const std::string& run_dir, int signal) {
    const ProcessState state = probe(run_dir);
    if (!state.trainer_alive) {
        throw Error("run " + run_dir + ": the trainer process is not running");
    }
    const pid_t pid = state.supervisor->trainer_pid;
    if (::kill(pid, signal) != 0) {
        throw Error("run " + run_dir + ": cannot send " + describe_signal(signal) +
                    " to trainer pid " + std::to_string(pid) + ": " + std::strerror(errno));
    }
}

nlohmann::json to_json(const ProcessState& state) {
    nlohmann::json j;
    j["supervisor"] = state.supervisor ? to_json(*state.supervisor) : nlohmann::json(nullptr);
    j["supervisor_alive"] = state.supervisor_alive;
    j["trainer_alive"] = state.trainer_alive;
    j["exit"] = state.exit ? to_json(*state.exit) : nlohmann::json(nullptr);
    return j;
}

ProcessState process_state_from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object() || !j.contains("supervisor_alive") || !j.contains("trainer_alive") ||
        !j.at("supervisor_alive").is_boolean() || !j.at("trainer_alive").is_boolean()) {
        throw Error(source + ": not a process state (supervisor_alive and trainer_alive missing)");
    }
    ProcessState state;
    state.supervisor_alive = j.at("supervisor_alive").get<bool>();
    state.trainer_alive = j.at("trainer_alive").get<bool>();
    if (j.contains("supervisor") && !j.at("supervisor").is_null()) {
        state.supervisor = supervisor_record_from_json(j.at("supervisor"), source + ": supervisor");
    }
    if (j.contains("exit") && !j.at("exit").is_null()) {
        state.exit = exit_record_from_json(j.at("exit"), source + ": exit");
    }
    return state;
}

}  // namespace lathe::core::launch
