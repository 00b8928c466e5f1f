#pragma once

#include <optional>
#include <string>

#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"

namespace lathe::remote::slurm {

// What SLURM says of a job.
struct JobState {
    std::string state;  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...
    std::optional<int> exit_code;  // the batch script's, once ended
    std::optional<int> signal;     // the signal that ended it, if any
    bool ended() const;            // a state SLURM never leaves
};

// sbatch, squeue/sacct/scontrol and scancel on a login node over SSH.
class SlurmClient {
  public:
    // `command_prefix` is pasted before every SLURM command: e.g. "module load slurm &&" or
    // "SLURM_CONF=/etc/slurm/other.conf". Empty for a login node where they are on PATH.
    SlurmClient(ssh::Session& session, ssh::SftpClient& sftp, std::string command_prefix = "")
        : session_(session), sftp_(sftp), prefix_(std::move(command_prefix)) {}

    // Writes the script to `script_path` (atomically) and submits it; returns the job id.
    // Throws core::Error with sbatch's own message when it refuses the job.
    std::string submit(const std::string& script, const std::string& script_path);
    // squeue while SLURM has the job in memory, then sacct, then scontrol; nullopt when none of
    // them knows the job any more.
    std::optional<JobState> state(const std::string& job_id);
    // scancel; `signal` "" cancels, "TERM" etc. sends that signal to the job's steps (the ranks,
    // not the batch shell) without cancelling.
    void cancel(const std::string& job_id, const std::string& signal = "");

  private:
    ssh::CommandResult run(const std::string& command);
    ssh::Session& session_;
    ssh::SftpClient& sftp_;
    std::string prefix_;
};

// "COMPLETED|0:0" (sacct -P -o State,ExitCode) and "JobState=FAILED ... ExitCode=1:0" (scontrol
// show job) into a JobState; nullopt for text that holds neither.
std::optional<JobState> parse_sacct_line(const std::string& line);
std::optional<JobState> parse_scontrol_job(const std::string& text);

}  // namespace lathe::remote::slurm
