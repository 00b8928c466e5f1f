#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/launch/launch_spec.h"
#include "core/launch/records.h"
#include "tests/test_support.h"

namespace lathe::tests::launch {

inline constexpr const char* kSupervisor = LATHE_SUPERVISOR_BINARY;

// Polls instead of sleeping a fixed time: fast when the processes are, patient when the machine
// is loaded.
inline bool wait_until(const std::function<bool()>& done, int timeout_ms = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
}

inline bool file_exists(const std::filesystem::path& p) {
    return std::filesystem::exists(p);
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::optional<core::launch::ExitRecord> wait_for_exit_record(
    const std::filesystem::path& dir, int timeout_ms = 10000) {
    wait_until([&] { return file_exists(dir / core::launch::kExitRecordFile); }, timeout_ms);
    return core::launch::read_exit_record(dir.string());
}

inline std::optional<core::launch::SupervisorRecord> wait_for_supervisor_record(
    const std::filesystem::path& dir) {
    wait_until([&] { return file_exists(dir / core::launch::kSupervisorRecordFile); });
    return core::launch::read_supervisor_record(dir.string());
}

inline core::launch::LaunchSpec sh_spec(const std::filesystem::path& dir,
                                        const std::string& script) {
    core::launch::LaunchSpec spec;
    spec.supervisor_program = kSupervisor;
    spec.run_dir = dir.string();
    spec.command = {"/bin/sh", "-c", script};
    return spec;
}

}  // namespace lathe::tests::launch
