#pragma once

#include <string>

namespace lathe::core::run_manager {

// Where Lathe keeps its state and finds its programs. Every field may be set by a flag; empty
// fields are filled by resolve_paths().
struct LathePaths {
    std::string registry_path;       // --registry, $LATHE_REGISTRY, $XDG_DATA_HOME/lathe/...
    std::string runs_root;           // --runs-dir, $LATHE_RUNS_DIR, <registry folder>/runs
    std::string trainer_program;     // $LATHE_TRAIN, else lathe-train beside this program
    std::string supervisor_program;  // $LATHE_SUPERVISOR, else lathe-supervisor beside it
    // The `lathe` CLI, which the supervisor calls back after the trainer exited: $LATHE_CLI, else
    // lathe beside this program; "" (no callback: the next reconcile records the end) otherwise.
    std::string lathe_program;
};

// Fills the empty fields as described above and makes every path absolute. Programs are not
// checked here (reading the registry needs none); start_run checks them.
LathePaths resolve_paths(LathePaths given);

// The absolute path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace lathe::core::run_manager
