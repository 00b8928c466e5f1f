#include "core/run_manager/lathe_paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/registry/location.h"

namespace fs = std::filesystem;

namespace lathe::core::run_manager {

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
}

std::string beside_this_program(const std::string& name) {
    const std::string self = current_executable();
    if (self.empty())
        return name;
    return (fs::path(self).parent_path() / name).string();
}

}  // namespace

std::string current_executable() {
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : self.string();
}

LathePaths resolve_paths(LathePaths given) {
    LathePaths p = std::move(given);
    if (p.registry_path.empty())
        p.registry_path = registry::default_registry_path();
    p.registry_path = fs::absolute(p.registry_path).lexically_normal().string();
    if (p.runs_root.empty())
        p.runs_root = env_or_empty("LATHE_RUNS_DIR");
    if (p.runs_root.empty())
        p.runs_root = (fs::path(p.registry_path).parent_path() / "runs").string();
    p.runs_root = fs::absolute(p.runs_root).lexically_normal().string();
    if (p.trainer_program.empty())
        p.trainer_program = env_or_empty("LATHE_TRAIN");
    if (p.trainer_program.empty())
        p.trainer_program = beside_this_program("lathe-train");
    if (p.supervisor_program.empty())
        p.supervisor_program = env_or_empty("LATHE_SUPERVISOR");
    if (p.supervisor_program.empty())
        p.supervisor_program = beside_this_program("lathe-supervisor");
    // The supervisor calls the `lathe` CLI back when a run ends (to record it and start the next
    // queued run), whichever program started the run: the studio or a test must not be re-run.
    if (p.lathe_program.empty())
        p.lathe_program = env_or_empty("LATHE_CLI");
    if (p.lathe_program.empty()) {
        const std::string beside = beside_this_program("lathe");
        if (fs::exists(beside))
            p.lathe_program = beside;
    }
    return p;
}

}  // namespace lathe::core::run_manager
