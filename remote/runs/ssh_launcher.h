#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run_manager/run_manager.h"
#include "remote/runs/remote_host.h"
#include "remote/runs/session_pool.h"

namespace lathe::remote::runs {

// Which RemoteHost a name means; find_remote_host unless a caller (a test) knows better.
using HostResolver =
    std::function<RemoteHost(const core::registry::Registry& registry, const std::string& name)>;

// Starts and signals runs whose target is "ssh:HOST" (RunManager's TargetLauncher).
//
// Start: checks the worker runs on the node (`WORKER --version`), uploads the files run.json
// names (dataset files, tokenizer, model folder) into <runs_dir>/.lathe-files/<sha256>/ unless
// the same content is there, writes the node's run.json (paths and output_dir rewritten to the
// node's), and starts `lathe-supervisor` detached there (setsid: its own session, so it survives
// the SSH connection and the laptop). Returns once the supervisor has written supervisor.json.
// The local run directory becomes the run's mirror, with remote.json saying where it is.
//
// A run with extra hosts (lathe-run.json) is started on every host at once: node n gets
// `--nproc-per-node P --nnodes K --node-rank n --master-addr <node 0's HostName> --master-port
// <random>` and the launching machine's variables that forwarded_env_patterns() names. If any
// node fails to start, the nodes already started are killed. Signals go to every node.
class SshLauncher : public core::run_manager::TargetLauncher {
  public:
    explicit SshLauncher(SessionPool& pool, HostResolver resolve = find_remote_host)
        : pool_(pool), resolve_(std::move(resolve)) {}

    Started start(const core::registry::Registry& registry,
                  const core::registry::RunRecord& run) override;
    void signal(const core::registry::Registry& registry, const core::registry::RunRecord& run,
                int signal) override;

  private:
    Started start_slurm(const core::registry::Registry& registry,
                        const core::registry::RunRecord& run);
    SessionPool& pool_;
    HostResolver resolve_;
};

// The node's run.json for `local_run_json`: output_dir is the remote run directory and every
// local file it names is uploaded (skipped when already there) and replaced by its node path.
nlohmann::json prepare_remote_run_json(ssh::SftpClient& sftp, const nlohmann::json& local_run_json,
                                       const std::string& remote_runs_root,
                                       const std::string& remote_run_dir);

// The variables of this process's environment that match `patterns` ("NAME" or "PREFIX*"),
// sorted: what a multi-node run's nodes get (lathe-supervisor --env).
std::vector<std::pair<std::string, std::string>> forwarded_environment(
    const std::vector<std::string>& patterns);
// $LATHE_FORWARD_ENV as comma-separated patterns, else torchrunx's defaults (CUDA*, NCCL*,
// TORCH*, LD_LIBRARY_PATH, PATH) and GLOO*.
std::vector<std::string> forwarded_env_patterns();

// An absolute path on the node: relative paths start in the remote home.
std::string remote_absolute(ssh::Session& session, const std::string& path);

}  // namespace lathe::remote::runs
