#pragma once

#include "remote/hosts/host_facts.h"
#include "remote/runs/remote_host.h"

namespace lathe::remote::ssh {
class Session;
}

namespace lathe::remote::runs {

// "Test connection": OS, CPUs, memory, free disk in the runs folder, GPUs (nvidia-smi) and the
// worker's version, from one script run on the node (remote/hosts/host_facts.h). Throws SshError
// when the node cannot be reached or the output is cut off.
hosts::HostFacts probe_host(ssh::Session& session, const RemoteHost& host);

}  // namespace lathe::remote::runs
