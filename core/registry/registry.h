#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/registry/records.h"
#include "core/registry/sqlite.h"

namespace lathe::core::registry {

struct RegistryOptions {
    std::string path;  // default_registry_path() when empty
    int busy_timeout_ms = 10000;
    bool read_only = false;
};

struct RunFilter {
    std::optional<RunStatus> status;
    std::optional<std::int64_t> limit;
    // run.json can be large; listings leave `config` null unless asked.
    bool include_config = false;
};

// Changes to a run; fields left empty keep their value.
struct RunUpdate {
    std::optional<RunStatus> status;
    std::optional<double> started_at;
    std::optional<double> ended_at;
    std::optional<int> exit_code;
    std::optional<std::string> failure_reason;
    std::optional<int> pid;
    std::optional<std::string> name;
    std::optional<std::string> host;
    std::optional<std::string> run_dir;
};

// The run registry: one SQLite file (WAL) that indexes every run with its metrics, checkpoints
// and samples (docs/registry.md). One Registry is one connection: use it from one thread at a
// time, and open one per thread or process. Every error names the registry file and the run.
class Registry {
  public:
    // Creates the file and its folder when missing and upgrades an older schema.
    static Registry open(const RegistryOptions& options);

    Registry(Registry&&) noexcept = default;
    Registry& operator=(Registry&&) noexcept = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    const std::string& path() const { return db_.path(); }
    int schema_version() const;

    // Runs. insert_run throws when the id exists; a queued run without queue_position goes to the
    // end of its target's queue.
    void insert_run(const RunRecord& run);
    std::optional<RunRecord> find_run(const std::string& id) const;
    RunRecord get_run(const std::string& id) const;
    // Newest first (created_at descending).
    std::vector<RunRecord> list_runs(const RunFilter& filter = {}) const;
    void update_run(const std::string& id, const RunUpdate& update);
    void set_notes(const std::string& id, const std::string& notes);
    void add_tag(const std::string& id, const std::string& tag);
    void remove_tag(const std::string& id, const std::string& tag);
    // Removes the run with its metrics, checkpoints, samples, tags and ingestion state.
    void remove_run(const std::string& id);

    // What ingestion and importers recorded.
    std::vector<std::string> metric_keys(const std::string& id) const;
    // Ordered by step, then seq (a run resumed from an earlier checkpoint repeats steps). With
    // after_seq > 0 only the points logged after it (seq > after_seq), at the cost of those: what
    // a live view polls for.
    std::vector<MetricPoint> metric_series(const std::string& id, const std::string& key,
                                           std::int64_t after_seq = 0) const;
    std::vector<CheckpointRecord> checkpoints(const std::string& id) const;  // by step
    std::vector<SampleRecord> samples(const std::string& id) const;          // by seq
    IngestionProgress ingestion_progress(const std::string& id) const;

    // Importers. Points are idempotent on (run, key, seq): a point already there is kept.
    void add_metric_points(const std::string& id, const std::string& key,
                           const std::vector<MetricPoint>& points);
    // Keyed by (run, path); saving the same folder again makes it present again.
    void upsert_checkpoint(const std::string& id, const CheckpointRecord& checkpoint);
    void mark_checkpoint_deleted(const std::string& id, const std::string& path, double deleted_at);

    // The launch queue, one per target (1-based positions).
    std::vector<RunRecord> queued_runs(const std::string& target) const;
    void move_in_queue(const std::string& id, std::int64_t position);
    // Atomically (BEGIN IMMEDIATE), when `target` has no starting or running run, turns its
    // first queued run into `starting` and returns its id. Processes racing here never both win.
    std::optional<std::string> claim_next_queued(const std::string& target);

    // Hosts added by hand (remote/hosts/ defines `spec`); by name.
    void put_host(const std::string& name, const nlohmann::json& spec);
    std::optional<nlohmann::json> find_host(const std::string& name) const;
    std::vector<std::pair<std::string, nlohmann::json>> list_hosts() const;
    bool remove_host(const std::string& name);  // false when there was none

    // The run's integer key; throws "no run 'ID' in PATH".
    std::int64_t run_key(const std::string& id) const;
    // For ingestion, which writes in its own transactions.
    sqlite::Database& database() { return db_; }

  private:
    explicit Registry(sqlite::Database db) : db_(std::move(db)) {}
    void renumber_queue(const std::string& target);

    sqlite::Database db_;
};

}  // namespace lathe::core::registry
