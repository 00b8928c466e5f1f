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
// `with_worker` false skips `<worker> --version` (worker_version and worker_error stay empty).
hosts::HostFacts probe_host(ssh::Session& session, const RemoteHost& host, bool with_worker = true);

// The same facts for this machine (the studio's "this machine" row, whose GPUs a local run's
// dashboard shows), by the same script run with /bin/sh here. `worker_command` is a shell
// fragment (quote a path with ssh::shell_quote; "" skips it). Throws core::Error when the output is
// cut off.
hosts::HostFacts probe_this_machine(const std::string& runs_dir, const std::string& worker_command);

}  // namespace lathe::remote::runs
