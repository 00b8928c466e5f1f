#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/registry/records.h"
#include "core/registry/sqlite.h"

// How a runs row maps to RunRecord, shared by every query that returns runs.
namespace lathe::core::registry {

// Columns in the order read_run expects; tags come packed with U+001F between them.
inline constexpr const char* kRunSelect =
    "SELECT id, name, status, target, host, run_dir, config, kind, created_at, started_at, "
    "ended_at, exit_code, failure_reason, pid, global_step, max_steps, last_loss, last_eval_loss, "
    "notes, parent_run_id, parent_checkpoint, fork_diff, queue_position, "
    "(SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags WHERE tags.run = runs.run_pk "
    "ORDER BY tag)), best_eval_loss FROM runs";

RunRecord read_run(const sqlite::Statement& row, bool with_config, const std::string& db_path);

std::optional<std::int64_t> find_run_key(const sqlite::Database& db, const std::string& id);

}  // namespace lathe::core::registry
