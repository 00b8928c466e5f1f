#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/registry/records.h"
#include "core/run_manager/run_manager.h"

namespace lathe::app {

// What every `lathe` command shares: where the registry is, and how to print.
struct CliContext {
    core::run_manager::LathePaths paths;
    bool json = false;
};

// Opens the registry and brings it up to date with the run directories (ingestion, ended and
// vanished processes, the queue). When another process holds the ingestion lock it says so on
// stderr once and reads what is there.
core::run_manager::RunManager open_manager(const CliContext& ctx, bool reconcile = true);

// A run id, unique prefix or name; CliError kCliNotFound otherwise.
std::string resolve_or_throw(core::run_manager::RunManager& manager, const std::string& key);

nlohmann::json run_to_json(const core::registry::RunRecord& run);
nlohmann::json checkpoint_to_json(const core::registry::CheckpointRecord& c);

// The text a run's status shows in tables: "running 120/300", "failed: killed by signal 9...".
std::string status_text(const core::registry::RunRecord& run);

void print_json(const nlohmann::json& j);
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace lathe::app
