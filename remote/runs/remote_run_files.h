#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::remote::runs {

// remote.json in a remote run's local mirror directory: where the run really is.
struct RemoteRunLocation {
    std::string host;            // RemoteHost::name
    std::string remote_run_dir;  // absolute, on the node
    std::string supervisor_command;
    // A multi-node run's nodes 1.. (node 0 is the fields above; its events are the run's).
    std::vector<RemoteRunLocation> other_nodes;
    // A run submitted to SLURM (target "slurm:HOST"): its job id, and what precedes SLURM's
    // commands on the login node. Empty otherwise.
    std::string slurm_job_id;
    std::string slurm_command_prefix;
};

inline constexpr const char* kRemoteRunFile = "remote.json";

void write_remote_location(const std::string& mirror_dir, const RemoteRunLocation& location);
// Throws core::Error naming the file when it is missing or malformed.
RemoteRunLocation read_remote_location(const std::string& mirror_dir);

// The files of a run's mirror that are copied from the node as they grow.
inline constexpr const char* kMirroredFiles[] = {"events.jsonl", "stdout.log", "stderr.log",
                                                 "supervisor.log"};

}  // namespace lathe::remote::runs
