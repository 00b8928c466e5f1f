#include "remote/runs/rank_logs.h"

#include <filesystem>

#include "core/util/error.h"
#include "remote/runs/file_mirror.h"
#include "remote/runs/remote_run_files.h"

namespace lathe::remote::runs {

namespace fs = std::filesystem;

std::string rank_log_path(const std::string& run_dir, std::int64_t rank,
                          const std::string& stream) {
    if (rank == 0)
        return (fs::path(run_dir) / (stream + ".log")).string();
    return (fs::path(run_dir) / "ranks" / ("rank-" + std::to_string(rank) + "." + stream + ".log"))
        .string();
}

void fetch_rank_logs(const core::registry::Registry& registry, SessionPool& pool,
                     const HostResolver& resolve, const core::registry::RunRecord& run,
                     std::int64_t rank, std::int64_t processes_per_node) {
    const RemoteRunLocation location = read_remote_location(run.run_dir);
    const std::int64_t node = rank / std::max<std::int64_t>(processes_per_node, 1);
    if (node > static_cast<std::int64_t>(location.other_nodes.size())) {
        throw core::Error("run " + run.id + " has no rank " + std::to_string(rank) + " (" +
                          std::to_string(location.other_nodes.size() + 1) + " node(s) of " +
                          std::to_string(processes_per_node) + ")");
    }
    const RemoteRunLocation& where =
        node == 0 ? location : location.other_nodes[static_cast<std::size_t>(node - 1)];
    auto& connection = pool.get(resolve(registry, where.host));
    fs::create_directories(fs::path(run.run_dir) / "ranks");
    bool found = false;
    for (const char* stream : {"stdout", "stderr"}) {
        const std::string remote = rank_log_path(where.remote_run_dir, rank, stream);
        found |=
            mirror_append_only(*connection.sftp, remote, rank_log_path(run.run_dir, rank, stream))
                .remote_exists;
    }
    if (!found) {
        throw core::Error("host " + where.host + " has no logs of rank " + std::to_string(rank) +
                          " in " + where.remote_run_dir + "/ranks");
    }
}

}  // namespace lathe::remote::runs
