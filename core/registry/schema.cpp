#include "core/registry/schema.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/registry/metric_chunks.h"
#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

// v4 moves the one-row-per-point metrics into chunks: packing blobs takes C++, not SQL.
void move_metrics_into_chunks(sqlite::Database& db) {
    auto rows = db.prepare(
        "SELECT run, key, seq, step, epoch, time, value FROM metrics ORDER BY run, key, seq");
    std::int64_t run = 0, key = 0;
    std::vector<MetricPoint> points;
    auto flush = [&] {
        merge_metric_points(db, run, key, points);
        points.clear();
    };
    while (rows.step()) {
        if (!points.empty() && (rows.int64(0) != run || rows.int64(1) != key))
            flush();
        run = rows.int64(0);
        key = rows.int64(1);
        points.push_back(
            {rows.int64(2), rows.int64(3), rows.optional_real(4), rows.real(5), rows.real(6)});
        if (points.size() >= 64 * kChunkPoints)
            flush();  // bounded memory for long series: the next flush appends
    }
    if (!points.empty())
        flush();
    db.exec("DROP TABLE metrics");
}

// v6 adds runs.best_eval_loss: the lowest eval_loss of each run's series, read from the chunks.
void fill_best_eval_loss(sqlite::Database& db) {
    auto key = db.prepare("SELECT key_id FROM metric_keys WHERE name = 'eval_loss'");
    if (!key.step())
        return;  // no run ever logged an eval_loss
    const std::int64_t key_id = key.int64(0);
    auto runs = db.prepare("SELECT DISTINCT run FROM metric_chunks WHERE key = ?1");
    runs.bind(1, key_id);
    std::vector<std::int64_t> run_keys;
    while (runs.step())
        run_keys.push_back(runs.int64(0));
    std::vector<MetricPoint> points;
    auto update = db.prepare("UPDATE runs SET best_eval_loss = ?2 WHERE run_pk = ?1");
    for (const std::int64_t run : run_keys) {
        points.clear();
        read_metric_series(db, run, key_id, "run " + std::to_string(run), points);
        std::optional<double> best;
        for (const auto& p : points)
            best = best ? std::min(*best, p.value) : p.value;
        update.bind(1, run).bind(2, best);
        update.run();
    }
}

struct Migration {
    const char* sql;
    void (*then)(sqlite::Database&) = nullptr;  // run after `sql`, in the same transaction
};

// Migration N turns a version N-1 file into version N. Released migrations are never edited:
// files written by earlier Lathes must upgrade the same way.
const std::vector<Migration>& migrations() {
    static const std::vector<Migration> steps = {
        // v1: runs, their metric series and how far their events.jsonl was ingested.
        {R"sql(
CREATE TABLE runs (
    run_pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT 'local',
    host TEXT NOT NULL DEFAULT '',
    run_dir TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT 'null',
    kind TEXT NOT NULL DEFAULT 'lathe',
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    exit_code INTEGER,
    failure_reason TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    global_step INTEGER NOT NULL DEFAULT 0,
    max_steps INTEGER NOT NULL DEFAULT 0,
    last_loss REAL,
    last_eval_loss REAL
);
CREATE INDEX runs_by_created ON runs(created_at DESC);
CREATE INDEX runs_by_status ON runs(status, created_at DESC);
CREATE TABLE metric_keys (
    key_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE metrics (
    run INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
    key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL,
    time REAL NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run, key, seq)
) WITHOUT ROWID;
CREATE TABLE ingestion (
    run INTEGER PRIMARY KEY REFERENCES runs(run_pk) ON DELETE CASCADE,
    byte_offset INTEGER NOT NULL DEFAULT 0,
    next_line INTEGER NOT NULL DEFAULT 1,
    last_seq INTEGER NOT NULL DEFAULT 0,
    status_seq INTEGER NOT NULL DEFAULT 0
);
)sql"},
        // v2: checkpoints and generated samples.
        {R"sql(
CREATE TABLE checkpoints (
    run INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
    path TEXT NOT NULL,
    step INTEGER NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    bytes INTEGER NOT NULL DEFAULT 0,
    metrics TEXT NOT NULL DEFAULT '{}',
    best INTEGER NOT NULL DEFAULT 0,
    present INTEGER NOT NULL DEFAULT 1,
    saved_at REAL NOT NULL,
    deleted_at REAL,
    PRIMARY KEY (run, path)
) WITHOUT ROWID;
CREATE TABLE samples (
    run INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    step INTEGER NOT NULL,
    time REAL NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run, seq)
) WITHOUT ROWID;
)sql"},
        // v3: what the user adds (tags, notes), forks and the launch queue.
        {R"sql(
CREATE TABLE tags (
    run INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (run, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags(tag);
ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN parent_run_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN parent_checkpoint TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN fork_diff TEXT NOT NULL DEFAULT 'null';
ALTER TABLE runs ADD COLUMN queue_position INTEGER;
CREATE INDEX runs_by_queue ON runs(target, queue_position) WHERE queue_position IS NOT NULL;
)sql"},
        // v4: metric points in chunks of up to kChunkPoints per blob (metric_chunks.h); the
        // metrics table is moved into them and dropped.
        {R"sql(
CREATE TABLE metric_chunks (
    run INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
    key INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run, key, first_seq)
) WITHOUT ROWID;
)sql",
         move_metrics_into_chunks},
        // v5: remote hosts added by hand (remote/hosts/): the SSH target and the worker's
        // settings as JSON, never a secret.
        {R"sql(
CREATE TABLE hosts (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    added_at REAL NOT NULL
) WITHOUT ROWID;
)sql"},
        // v6: each run's lowest eval_loss, for the runs list (maintained by ingestion and the
        // importers; filled here from the series already there).
        {"ALTER TABLE runs ADD COLUMN best_eval_loss REAL;", fill_best_eval_loss},
    };
    return steps;
}

std::string hex(std::int64_t value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "0x%08llX",
                  static_cast<unsigned long long>(static_cast<std::uint32_t>(value)));
    return buffer;
}

// Reads application_id/user_version and refuses what is not ours. The first read of the file is
// here, so a file that is not a database fails here, with its path (sqlite::fail).
int checked_version(sqlite::Database& db) {
    // The three reads must see one snapshot: outside a transaction each statement has its own,
    // and another process creating the registry at the same moment would look half-made (an
    // application_id of 0 with tables already there).
    std::optional<sqlite::Transaction> snapshot;
    if (sqlite3_get_autocommit(db.handle()) != 0)
        snapshot.emplace(db, sqlite::Transaction::Mode::deferred);
    const std::int64_t app = db.query_int64("PRAGMA application_id");
    const int version = static_cast<int>(db.query_int64("PRAGMA user_version"));
    const std::int64_t tables = db.query_int64("SELECT count(*) FROM sqlite_master");
    if (snapshot)
        snapshot->commit();
    if (app != kApplicationId) {
        const bool empty = app == 0 && version == 0 && tables == 0;
        if (!empty) {
            throw Error(db.path() + ": not a Lathe registry (application_id " + hex(app) +
                        ", Lathe's is " + hex(kApplicationId) + "); pass another --registry");
        }
    }
    if (version > kSchemaVersion) {
        throw Error(db.path() + ": registry schema version " + std::to_string(version) +
                    " is newer than this Lathe (" + std::to_string(kSchemaVersion) +
                    "); upgrade Lathe or use another --registry");
    }
    return version;
}

}  // namespace

int check_registry(sqlite::Database& db) {
    return checked_version(db);
}

void migrate(sqlite::Database& db, int target_version) {
    if (target_version < 1 || target_version > kSchemaVersion)
        throw Error(db.path() + ": no registry schema version " + std::to_string(target_version));
    if (checked_version(db) >= target_version)
        return;
    for (int next = 1; next <= target_version; ++next) {
        sqlite::Transaction tx(db, sqlite::Transaction::Mode::immediate);
        // Read again under the write lock: another process may have migrated meanwhile.
        const int version = checked_version(db);
        if (version >= next)
            continue;
        const Migration& migration = migrations()[static_cast<std::size_t>(next - 1)];
        db.exec(migration.sql);
        if (migration.then)
            migration.then(db);
        // PRAGMAs take no parameters; both values are constants of this file.
        if (next == 1)
            db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
        db.exec("PRAGMA user_version = " + std::to_string(next));
        tx.commit();
    }
}

void create_at_version(const std::string& path, int version) {
    sqlite::Database db = sqlite::Database::open(path, {});
    db.exec("PRAGMA journal_mode = WAL");
    migrate(db, version);
}

}  // namespace lathe::core::registry
