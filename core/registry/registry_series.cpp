// Registry: what a run recorded (metrics, checkpoints, samples) and how far ingestion got.
#include <algorithm>

#include "core/registry/metric_chunks.h"
#include "core/registry/metric_store.h"
#include "core/registry/registry.h"
#include "core/util/error.h"

namespace lathe::core::registry {

std::vector<std::string> Registry::metric_keys(const std::string& id) const {
    const std::int64_t run = run_key(id);
    // One probe of the (run, key, first_seq) primary key per known key.
    auto& stmt = db_.cached(
        "SELECT name FROM metric_keys WHERE EXISTS (SELECT 1 FROM metric_chunks WHERE run = ?1 AND "
        "key = metric_keys.key_id) ORDER BY name");
    stmt.bind(1, run);
    std::vector<std::string> keys;
    while (stmt.step())
        keys.push_back(stmt.text(0));
    stmt.reset();
    return keys;
}

std::vector<MetricPoint> Registry::metric_series(const std::string& id, const std::string& key,
                                                 std::int64_t after_seq) const {
    const std::int64_t run = run_key(id);
    auto& find_key = db_.cached("SELECT key_id FROM metric_keys WHERE name = ?1");
    find_key.bind(1, key);
    const bool known = find_key.step();
    const std::int64_t key_id = known ? find_key.int64(0) : 0;
    find_key.reset();
    std::vector<MetricPoint> points;
    if (known)
        read_metric_series(db_, run, key_id, id, points, after_seq);
    // Chunks come in seq order; a run resumed from an earlier checkpoint repeats steps, and a
    // stable sort by step (almost always already sorted) is far cheaper than an SQL ORDER BY.
    if (!std::is_sorted(points.begin(), points.end(),
                        [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; }))
        std::stable_sort(
            points.begin(), points.end(),
            [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; });
    return points;
}

std::vector<CheckpointRecord> Registry::checkpoints(const std::string& id) const {
    const std::int64_t run = run_key(id);
    auto& stmt = db_.cached(
        "SELECT step, path, host, bytes, metrics, best, present, saved_at, deleted_at FROM "
        "checkpoints WHERE run = ?1 ORDER BY step, saved_at");
    stmt.bind(1, run);
    std::vector<CheckpointRecord> result;
    while (stmt.step()) {
        CheckpointRecord& c = result.emplace_back();
        c.step = stmt.int64(0);
        c.path = stmt.text(1);
        c.host = stmt.text(2);
        c.bytes = stmt.int64(3);
        try {
            c.metrics = nlohmann::json::parse(stmt.text(4));
        } catch (const nlohmann::json::exception& e) {
            throw Error(path() + ": run '" + id + "': checkpoint " + c.path +
                        ": metrics are not JSON: " + e.what());
        }
        c.best = stmt.int64(5) != 0;
        c.present = stmt.int64(6) != 0;
        c.saved_at = stmt.real(7);
        c.deleted_at = stmt.optional_real(8);
    }
    stmt.reset();
    return result;
}

std::vector<SampleRecord> Registry::samples(const std::string& id) const {
    const std::int64_t run = run_key(id);
    auto& stmt =
        db_.cached("SELECT seq, step, time, prompt, text FROM samples WHERE run = ?1 ORDER BY seq");
    stmt.bind(1, run);
    std::vector<SampleRecord> result;
    while (stmt.step()) {
        SampleRecord& s = result.emplace_back();
        s.seq = stmt.int64(0);
        s.step = stmt.int64(1);
        s.time = stmt.real(2);
        s.prompt = stmt.text(3);
        s.text = stmt.text(4);
    }
    stmt.reset();
    return result;
}

IngestionProgress Registry::ingestion_progress(const std::string& id) const {
    const std::int64_t run = run_key(id);
    auto& stmt =
        db_.cached("SELECT byte_offset, next_line, last_seq FROM ingestion WHERE run = ?1");
    stmt.bind(1, run);
    IngestionProgress progress;
    if (stmt.step()) {
        progress.byte_offset = static_cast<std::uint64_t>(stmt.int64(0));
        progress.next_line = stmt.int64(1);
        progress.last_seq = stmt.int64(2);
    }
    stmt.reset();
    return progress;
}

void Registry::add_metric_points(const std::string& id, const std::string& key,
                                 const std::vector<MetricPoint>& points) {
    if (key.empty())
        throw Error(path() + ": run '" + id + "': a metric needs a name");
    sqlite::Transaction tx(db_);
    const std::int64_t run = run_key(id);
    MetricStore store(db_);
    std::vector<MetricPoint> sorted = points;  // merge_metric_points sorts in place
    merge_metric_points(db_, run, store.key_id(key), sorted);
    if (key == "eval_loss" && !points.empty()) {
        double best = points.front().value;
        for (const auto& p : points)
            best = std::min(best, p.value);
        db_.cached(
               "UPDATE runs SET best_eval_loss = min(coalesce(best_eval_loss, ?2), ?2) "
               "WHERE run_pk = ?1")
            .bind(1, run)
            .bind(2, best)
            .run();
    }
    tx.commit();
}

void Registry::upsert_checkpoint(const std::string& id, const CheckpointRecord& checkpoint) {
    if (checkpoint.path.empty())
        throw Error(path() + ": run '" + id + "': a checkpoint needs a path");
    sqlite::Transaction tx(db_);
    const std::int64_t run = run_key(id);
    auto& stmt = db_.cached(
        "INSERT INTO checkpoints(run, path, step, host, bytes, metrics, best, present, saved_at, "
        "deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(run, path) DO "
        "UPDATE SET step = excluded.step, host = excluded.host, bytes = excluded.bytes, metrics = "
        "excluded.metrics, best = excluded.best, present = excluded.present, saved_at = "
        "excluded.saved_at, deleted_at = excluded.deleted_at");
    stmt.bind(1, run).bind(2, checkpoint.path).bind(3, checkpoint.step).bind(4, checkpoint.host);
    stmt.bind(5, checkpoint.bytes).bind(6, checkpoint.metrics.dump());
    stmt.bind(7, std::int64_t{checkpoint.best}).bind(8, std::int64_t{checkpoint.present});
    stmt.bind(9, checkpoint.saved_at).bind(10, checkpoint.deleted_at);
    stmt.run();
    // One best checkpoint per run, as Transformers' best_model_checkpoint.
    if (checkpoint.best) {
        db_.cached("UPDATE checkpoints SET best = 0 WHERE run = ?1 AND path <> ?2 AND best <> 0")
            .bind(1, run)
            .bind(2, checkpoint.path)
            .run();
    }
    tx.commit();
}

void Registry::mark_checkpoint_deleted(const std::string& id, const std::string& path,
                                       double deleted_at) {
    sqlite::Transaction tx(db_);
    const std::int64_t run = run_key(id);
    db_.cached("UPDATE checkpoints SET present = 0, deleted_at = ?3 WHERE run = ?1 AND path = ?2")
        .bind(1, run)
        .bind(2, path)
        .bind(3, deleted_at)
        .run();
    tx.commit();
}

}  // namespace lathe::core::registry
