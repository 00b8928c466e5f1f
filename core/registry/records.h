#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::registry {

// A run's life: queued (waiting for its target) -> starting (claimed, process being launched) ->
// running (run_started seen) -> finished | failed | stopped. `lost` is set by whoever notices
// that the process is gone without a run_finished/run_failed (docs/registry.md).
enum class RunStatus { queued, starting, running, finished, failed, stopped, lost };

std::string to_string(RunStatus status);
// Throws Error naming the bad value and listing the valid ones.
RunStatus parse_run_status(const std::string& text);
// finished, failed, stopped and lost: no process will change the run any more.
bool is_terminal(RunStatus status);
// starting or running: its processes may be alive.
bool is_live(RunStatus status);

struct RunRecord {
    std::string id;
    std::string name;
    RunStatus status = RunStatus::queued;
    std::string target = "local";
    std::string host;
    std::string run_dir;
    nlohmann::json config;       // run.json
    std::string kind = "lathe";  // or "imported"
    double created_at = 0;
    std::optional<double> started_at, ended_at;
    std::optional<int> exit_code;
    std::string failure_reason;
    std::string parent_run_id;
    std::string parent_checkpoint;
    nlohmann::json fork_diff;  // null or object
    std::vector<std::string> tags;
    std::string notes;
    std::optional<std::int64_t> queue_position;  // 1-based, only while queued
    std::optional<int> pid;
    // Summary maintained by ingestion:
    std::int64_t global_step = 0;
    std::int64_t max_steps = 0;
    std::optional<double> last_loss, last_eval_loss;
    std::optional<double> best_eval_loss;  // the lowest eval_loss logged
};

struct MetricPoint {
    std::int64_t seq = 0;
    std::int64_t step = 0;
    std::optional<double> epoch;
    double time = 0;
    double value = 0;
};

struct CheckpointRecord {
    std::int64_t step = 0;
    std::string path;
    std::string host;
    std::int64_t bytes = 0;
    nlohmann::json metrics = nlohmann::json::object();
    bool best = false;
    bool present = true;
    double saved_at = 0;
    std::optional<double> deleted_at;
};

struct SampleRecord {
    std::int64_t seq = 0;
    std::int64_t step = 0;
    double time = 0;
    std::string prompt;
    std::string text;
};

struct IngestionProgress {
    std::uint64_t byte_offset = 0;
    std::int64_t next_line = 1;
    std::int64_t last_seq = 0;
};

}  // namespace lathe::core::registry
