#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/registry/registry.h"
#include "core/run_manager/lathe_paths.h"
#include "tests/test_support.h"
#include "tests/ui/runs/qt_app.h"
#include "ui/runs/registry_watcher.h"

namespace lathe::tests {

// A registry file in a temp folder, written to directly through the test's own connection (as
// another `lathe` process would), and watcher options pointing at it.
struct RunsFixture {
    explicit RunsFixture(const std::string& name) : dir(temp_dir(name)) {
        qt_app();
        paths.registry_path = (dir / "registry.sqlite3").string();
        paths.runs_root = (dir / "runs").string();
        std::filesystem::create_directories(paths.runs_root);
        registry.emplace(core::registry::Registry::open({paths.registry_path}));
    }

    ui::runs::WatcherOptions options(bool reconcile = false) const {
        ui::runs::WatcherOptions o;
        o.paths = paths;
        o.interval_ms = 100;
        o.reconcile = reconcile;
        return o;
    }

    core::registry::RunRecord add_run(const std::string& id, core::registry::RunStatus status,
                                      double created_at, const std::string& kind = "lathe") {
        core::registry::RunRecord run;
        run.id = id;
        run.name = id + "-name";
        run.status = status;
        run.kind = kind;
        run.run_dir = (std::filesystem::path(paths.runs_root) / id).string();
        std::filesystem::create_directories(run.run_dir);
        run.created_at = created_at;
        run.started_at = created_at + 1;
        if (core::registry::is_terminal(status))
            run.ended_at = created_at + 61;
        registry->insert_run(run);
        return run;
    }

    // A complete checkpoint folder as list_checkpoints recognizes it.
    std::string make_checkpoint_folder(const std::filesystem::path& output_dir, std::int64_t step,
                                       bool lathe_state = false) {
        const auto folder = output_dir / ("checkpoint-" + std::to_string(step));
        std::filesystem::create_directories(folder);
        std::ofstream(folder / "trainer_state.json") << R"({"global_step": )" << step << "}";
        if (lathe_state)
            std::ofstream(folder / "lathe_loop_state.json") << "{}";
        return folder.string();
    }

    std::filesystem::path dir;
    core::run_manager::LathePaths paths;
    std::optional<core::registry::Registry> registry;
};

}  // namespace lathe::tests
