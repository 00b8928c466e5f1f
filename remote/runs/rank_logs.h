#pragma once

#include <cstdint>
#include <string>

#include "core/registry/records.h"
#include "core/registry/registry.h"
#include "remote/runs/session_pool.h"
#include "remote/runs/ssh_launcher.h"

namespace lathe::remote::runs {

// The local paths of rank `rank`'s stdout and stderr logs in a run directory: the run's own
// stdout.log/stderr.log for rank 0, ranks/rank-R.*.log for the others (docs/run-directory.md).
std::string rank_log_path(const std::string& run_dir, std::int64_t rank, const std::string& stream);

// Brings a remote run's rank `rank` logs (rank > 0: they are not mirrored as they grow) into its
// local mirror, from the node that runs that rank (ranks are contiguous per node,
// `processes_per_node` each). Only the bytes past the local copy are fetched. Throws core::Error
// when that node holds no such log.
void fetch_rank_logs(const core::registry::Registry& registry, SessionPool& pool,
                     const HostResolver& resolve, const core::registry::RunRecord& run,
                     std::int64_t rank, std::int64_t processes_per_node);

}  // namespace lathe::remote::runs
