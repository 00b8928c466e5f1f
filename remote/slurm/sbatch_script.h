#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::remote::slurm {

// One Lathe run as a SLURM batch job: every task is one rank of lathe-train, started by srun,
// which sets SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID (core/distributed/world.h reads them); the
// script exports MASTER_ADDR (the job's first node) and MASTER_PORT. The run folder must be on a
// filesystem the nodes and the login node share: rank 0 writes events.jsonl and checkpoints
// there, and Lathe reads them from the login node.
struct SbatchSpec {
    std::string job_name;  // default "lathe-" + run_id
    std::string run_id;    // required
    std::string run_dir;   // required, absolute, shared: run.json is there
    std::int64_t nodes = 1;
    std::int64_t tasks_per_node = 1;  // ranks per node: one per GPU, or CPU processes
    std::int64_t gpus_per_node = 0;   // 0: no --gpus-per-node line
    std::int64_t cpus_per_task = 0;   // 0: SLURM's default
    std::string time_limit;           // "" or [D-]HH:MM:SS / MM:SS / minutes
    std::string partition;
    std::string account;
    // Verbatim "#SBATCH ..." lines (e.g. "#SBATCH --qos=high", "#SBATCH --mem=64G").
    std::vector<std::string> extra_sbatch_lines;
    // Shell fragment that runs lathe-train on a node; arguments follow it. A container wrapper
    // works the same: "apptainer exec --nv /shared/lathe.sif lathe-train".
    std::string worker_command = "lathe-train";
    int master_port = 29500;
    // "" = the job's first node as `scontrol show hostnames` names it; set it when those names
    // do not resolve to an address the nodes reach each other on.
    std::string master_addr;
    // No --kill-on-bad-exit: a stopped rank exits with 4 once its part of the checkpoint is on
    // disk, and srun would kill rank 0 while it commits. A rank that dies makes its peers'
    // next collective fail at once (Gloo) or at ddp_timeout (NCCL), which ends the step.
};

// The script's text. Throws core::Error naming the field for an invalid value (empty run_id, a
// relative run_dir, nodes < 1, a time limit SLURM would not read, an extra line that is not an
// "#SBATCH" directive, a newline inside a value).
std::string sbatch_script(const SbatchSpec& spec);

// A run's "slurm" options (lathe-run.json; the CLI's --nodes, --gpus-per-node, --time, ... and
// the studio's SLURM fields write them): nodes, gpus_per_node, cpus_per_task, time_limit,
// partition, account, master_addr, extra_sbatch_lines. Throws core::Error naming the key when one
// has the wrong type. command_prefix is not part of the script and is read by the caller.
SbatchSpec sbatch_spec_from_options(const nlohmann::json& options);

// Checks options as sbatch_script would for a run with `tasks_per_node` ranks per node, before
// anything is submitted. Throws core::Error naming the field.
void validate_slurm_options(const nlohmann::json& options, std::int64_t tasks_per_node);

}  // namespace lathe::remote::slurm
