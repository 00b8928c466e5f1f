#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::core::distributed {

// How lathe-train --nproc-per-node N runs one node's share of a data-parallel job, as torchrun's
// agent does: it starts the ranks, forwards signals to all of them, and reaps them as one job.
struct RankAgentOptions {
    std::vector<std::string> command;  // one rank's argv; command[0] an absolute path
    std::int64_t nproc_per_node = 1;
    std::int64_t nnodes = 1;  // ranks are contiguous per node: node n has n*N .. n*N+N-1
    std::int64_t node_rank = 0;
    std::string master_addr = "127.0.0.1";  // rank 0's host as every node reaches it
    int master_port = 0;                    // 0: a free port of this machine (single node only)
    std::string run_dir;  // events.jsonl, ranks.json and ranks/rank-R.{stdout,stderr}.log
    std::string run_id;
    // Ranks told to save or stop get this long to follow their peers before SIGKILL; a rank that
    // failed takes its peers down at once (they cannot progress without it).
    std::int64_t stop_grace_ms = 0;        // 0: wait for them (a save at stop can take long)
    std::vector<int> ok_exit_codes = {0};  // lathe-train adds its "stopped" code
};

// The file a rank of an agent-run job writes when it fails with an exception, so that the agent
// (the one writer of run_failed for the job) can report its reason and message.
std::string rank_failure_path(const std::string& run_dir, std::int64_t rank);
// Set to "1" in every rank's environment by the agent.
constexpr const char* kRankAgentVariable = "LATHE_RANK_AGENT";

// Starts the ranks with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
// and LATHE_RANK_AGENT=1 set; local rank 0 of node 0 keeps this process's stdout/stderr, the
// others write to ranks/rank-R.*.log. SIGTERM, SIGINT, SIGUSR1 and SIGHUP reach every rank.
// When a rank fails (non-zero exit other than a stop, or a signal) the others are killed at once
// and run_failed is appended to events.jsonl naming the rank, its host, pid and signal or exit
// code, with the rank's own reason and message when it left a failure file.
// Returns the job's exit code: rank 0's when every rank ended well, else the failed rank's
// (128 + signal when killed). Ranks die with the agent (PR_SET_PDEATHSIG).
int run_rank_agent(const RankAgentOptions& options);

}  // namespace lathe::core::distributed
