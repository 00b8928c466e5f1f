#pragma once

#include <cstdint>
#include <string>

#include "core/registry/sqlite.h"

namespace lathe::core::registry {

// The schema version this Lathe writes (PRAGMA user_version); docs/registry.md has the history.
inline constexpr int kSchemaVersion = 6;
// PRAGMA application_id of a Lathe registry: "LATH" in ASCII.
inline constexpr std::int32_t kApplicationId = 0x4C415448;

// Checks that `db` is a Lathe registry this Lathe can use, then applies the forward migrations
// up to `target_version`, each in its own transaction. A fresh (empty) file becomes a registry.
// Throws Error naming the file for a newer schema, another application's database or a file that
// is not a database at all.
void migrate(sqlite::Database& db, int target_version = kSchemaVersion);

// The version in the file, after checking application_id (no migration; for read-only opens).
int check_registry(sqlite::Database& db);

// Testing hook: creates a registry at an older schema `version` (1..kSchemaVersion) so that tests
// can fill it the way an older Lathe did and check that upgrading keeps the data.
void create_at_version(const std::string& path, int version);

}  // namespace lathe::core::registry
