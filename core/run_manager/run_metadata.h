#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::run_manager {

// lathe-run.json in a run directory: what the registry knows of a run that neither run.json nor
// events.jsonl says (identity, lineage, queue, tags, notes), so that `lathe runs rebuild` can
// recreate the registry from the run directories alone. Written atomically at creation and on
// every edit.
struct RunMetadata {
    std::string id;
    std::string name;
    std::string kind = "lathe";  // "lathe", or "imported" (a Hugging Face output folder)
    std::string target = "local";
    // Data-parallel processes on the target (lathe-train --nproc-per-node); 1 is a plain run.
    std::int64_t processes = 1;
    // A multi-node run's further SSH hosts (the target's host is node 0; these are nodes 1..),
    // each running `processes` ranks. Empty: one node.
    std::vector<std::string> extra_hosts;
    // Ray Train's FailureConfig(max_failures): a run that fails (or is lost) is restarted from
    // its latest complete checkpoint as a new run, until `attempt` exceeds max_failures.
    std::int64_t max_failures = 0;
    std::int64_t attempt = 1;  // 1 for the first try, k for the (k-1)th restart
    // For a "slurm:HOST" target: the batch job's resources (docs/slurm.md): nodes,
    // gpus_per_node, cpus_per_task, time_limit, partition, account, extra_sbatch_lines,
    // command_prefix. Null otherwise.
    nlohmann::json slurm = nullptr;
    // GPUs the run may use on its machine(s), as CUDA_VISIBLE_DEVICES ("0,2,3"); "" = all.
    std::string gpus;
    double created_at = 0.0;
    std::string parent_run_id;
    std::string parent_checkpoint;
    nlohmann::json fork_diff = nullptr;  // {"learning_rate": {"from": 5e-5, "to": 1e-4}, ...}
    std::vector<std::string> tags;
    std::string notes;
    std::string import_source;  // the imported folder, for kind "imported"
    bool cancelled = false;     // a queued run cancelled before it started
};

inline constexpr const char* kRunMetadataFile = "lathe-run.json";

nlohmann::json to_json(const RunMetadata& m);
// Errors name `source` and the key.
RunMetadata run_metadata_from_json(const nlohmann::json& j, const std::string& source);

void write_run_metadata(const std::string& run_dir, const RunMetadata& m);
// Throws Error naming the file when it is missing or malformed.
RunMetadata read_run_metadata(const std::string& run_dir);
// read_run_metadata, or the defaults (one process, one node, no restarts) for a folder without
// lathe-run.json (an import made by hand, an older Lathe).
RunMetadata read_run_metadata_or_defaults(const std::string& run_dir);

}  // namespace lathe::core::run_manager
