#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "remote/ssh/ssh_target.h"

namespace lathe::core::registry {
class Registry;
}

namespace lathe::remote::runs {

// A machine runs can target ("ssh:NAME"): how to reach it and how to run Lathe there.
struct RemoteHost {
    std::string name;  // a ~/.ssh/config alias or a name given when the host was added
    ssh::SshTarget ssh;
    // Shell fragments run on the node, pasted verbatim before their quoted arguments: the
    // default is lathe-train on PATH; an absolute path, or a wrapper such as
    // `apptainer exec --nv lathe.sif lathe-train`, work the same.
    std::string worker_command = "lathe-train";
    std::string supervisor_command = "lathe-supervisor";
    // Where run directories go on the node; relative paths start in the remote home.
    std::string runs_dir = "lathe-runs";
};

// The registry's JSON form (no secrets: none are ever part of a RemoteHost).
nlohmann::json to_json(const RemoteHost& host);
// Throws core::Error naming `source` and the field.
RemoteHost remote_host_from_json(const nlohmann::json& j, const std::string& source);

// A host added to the registry under `name`, else the ~/.ssh/config alias (or plain host name)
// `name` with default settings.
RemoteHost find_remote_host(const core::registry::Registry& registry, const std::string& name);

// "ssh:NAME" <-> NAME. host_of_target returns "" for a target that is not an SSH host; for
// "slurm:NAME" (a SLURM cluster's login node, docs/slurm.md) it returns NAME.
std::string target_for_host(const std::string& name);
std::string host_of_target(const std::string& target);
bool is_slurm_target(const std::string& target);

}  // namespace lathe::remote::runs
