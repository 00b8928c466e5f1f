#pragma once

#include <string>

namespace lathe::core::run_manager {

// A new run id: "<yyyymmdd-HHMMSS>-<slug of name>-<4 hex>", e.g. "20261129-131502-fortunes-3fa9".
// It sorts by creation time, says what the run is, and is unique without coordination (the run
// directory is created with it; a collision is retried by the caller). Also the directory name.
std::string new_run_id(const std::string& name, double created_at);

// Lower-case letters, digits and '-' only, at most 40 characters; "run" when nothing is left.
std::string slug(const std::string& name);

// Unix time now, seconds.
double now_seconds();

}  // namespace lathe::core::run_manager
