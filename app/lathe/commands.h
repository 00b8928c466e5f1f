#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/lathe/cli_context.h"
#include "remote/runs/host_install.h"

namespace lathe::app {

// Starting runs (start_commands.cpp).
struct TrainCommand {
    std::string config_path;  // "" = the embedded default
    std::string name;
    std::vector<std::string> tags;
    std::vector<std::string> overrides;
    std::string host;          // "" = this machine; else a host (lathe hosts list): target ssh:HOST
    std::string processes;     // --nproc: data-parallel processes; "" = 1
    std::string max_failures;  // --max-failures: automatic restarts; "" = 0
    std::string gpus;          // --gpus 0,2,3: only these GPUs, one rank each
    // --slurm HOST: submit to the SLURM cluster whose login node is HOST (docs/slurm.md), with
    // --nodes, --gpus-per-node, --time, --partition, --account, --sbatch LINE, --slurm-prefix.
    std::string slurm_host;
    std::string nodes, gpus_per_node, time_limit, partition, account, sbatch_line, slurm_prefix;
};
int train_command(const CliContext& ctx, const TrainCommand& cmd);

enum class ChildKind { resume, fork, continue_ };
struct ChildCommand {
    ChildKind kind = ChildKind::resume;
    std::string run;
    std::optional<std::int64_t> checkpoint_step;
    std::int64_t extra_steps = 0;
    std::string config_path;
    std::string name;
    std::vector<std::string> overrides;
};
int child_command(const CliContext& ctx, const ChildCommand& cmd);

int import_command(const CliContext& ctx, const std::string& folder, const std::string& name);

// Looking at runs (view_commands.cpp).
struct ListCommand {
    std::string status;
    std::int64_t limit = 0;
};
int list_command(const CliContext& ctx, const ListCommand& cmd);
int show_command(const CliContext& ctx, const std::string& run);
int metrics_command(const CliContext& ctx, const std::string& run,
                    const std::vector<std::string>& keys);
int logs_command(const CliContext& ctx, const std::string& run, bool follow,
                 const std::string& stream, std::int64_t rank = 0);

// Changing runs (control_commands.cpp).
enum class Control { stop, save, kill };
int control_command(const CliContext& ctx, const std::string& run, Control control);
int remove_command(const CliContext& ctx, const std::vector<std::string>& runs);
int tag_command(const CliContext& ctx, const std::string& run, const std::string& tag, bool remove);
int note_command(const CliContext& ctx, const std::string& run, const std::string& text);
int queue_list_command(const CliContext& ctx, const std::string& target);
int queue_move_command(const CliContext& ctx, const std::string& run, std::int64_t position);
int rebuild_command(const CliContext& ctx);
// Remote nodes (host_commands.cpp).
struct HostAddCommand {
    std::string name;
    std::string address;  // "" = the name (a ~/.ssh/config alias or a DNS name)
    std::string user;
    int port = 0;
    std::vector<std::string> identity_files;
    std::string proxy_jump;
    std::string ssh_config_path;
    std::string known_hosts_path;
    std::string worker_command = "lathe-train";
    std::string supervisor_command = "lathe-supervisor";
    std::string runs_dir = "lathe-runs";
    int connect_timeout_ms = 10000;
};
int hosts_list_command(const CliContext& ctx);
int hosts_add_command(const CliContext& ctx, const HostAddCommand& cmd);
int hosts_remove_command(const CliContext& ctx, const std::string& name);
int hosts_test_command(const CliContext& ctx, const std::string& name);
struct HostInstallCommand {
    std::string name;
    remote::runs::InstallOptions options;
};
// "Install on host": uploads the source, runs the set-up and a headless build on the node, and
// points the host's worker and supervisor at the result (remote/runs/host_install.h).
int hosts_install_command(const CliContext& ctx, const HostInstallCommand& cmd);
// One pass over remote runs (or one run): copy their new events and logs, probe their processes.
int sync_command(const CliContext& ctx, const std::string& run);
// Copies a checkpoint (local or on its node) into a folder: resumable, verified, never half.
// model_only: only the Hugging Face model folder (no optimizer, scheduler or trainer state).
int export_command(const CliContext& ctx, const std::string& run, std::optional<std::int64_t> step,
                   const std::string& to, bool model_only);

// Called by the supervisor once the trainer has exited: record it, start the next queued run.
int after_exit_command(const CliContext& ctx, const std::string& run);

}  // namespace lathe::app
