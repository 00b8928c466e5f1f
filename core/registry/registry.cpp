#include "core/registry/registry.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

#include "core/registry/location.h"
#include "core/registry/run_rows.h"
#include "core/registry/schema.h"
#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

void check_tag(const std::string& tag, const std::string& id) {
    if (tag.empty())
        throw Error("run '" + id + "': a tag cannot be empty");
    for (unsigned char c : tag) {
        // Listings pack a run's tags with U+001F between them.
        if (c < 0x20)
            throw Error("run '" + id + "': tag \"" + tag + "\" holds a control character");
    }
}

}  // namespace

namespace {

// Switching to WAL takes an exclusive lock, and SQLite answers "database is locked" at once,
// without its busy handler, when another process holds a lock at that moment (two studios or CLI
// processes creating the registry together). Once the file is in WAL mode it stays so: a reader
// sees "wal" without any lock. So: retry until the busy timeout, stopping as soon as it is WAL.
void switch_to_wal(sqlite::Database& db, const std::string& path, int busy_timeout_ms) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    for (;;) {
        try {
            auto mode = db.prepare("PRAGMA journal_mode = WAL");
            const bool wal = mode.step() && mode.text(0) == "wal";
            mode.reset();  // a statement left mid-row would block every COMMIT after it
            if (wal)
                return;
            throw Error(path + ": cannot switch the registry to WAL mode");
        } catch (const Error&) {
            if (std::chrono::steady_clock::now() > deadline)
                throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
}

}  // namespace

Registry Registry::open(const RegistryOptions& options) {
    const std::string path = options.path.empty() ? default_registry_path() : options.path;
    if (options.busy_timeout_ms < 0)
        throw Error(path + ": busy_timeout_ms must be >= 0, not " +
                    std::to_string(options.busy_timeout_ms));
    if (!options.read_only) {
        const auto parent = std::filesystem::absolute(path).parent_path();
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            throw Error(path + ": cannot create the registry folder " + parent.string() + ": " +
                        ec.message());
        }
    }
    sqlite::Database db = sqlite::Database::open(path, {options.read_only, true});
    sqlite3_busy_timeout(db.handle(), options.busy_timeout_ms);
    if (options.read_only) {
        const int version = check_registry(db);
        if (version < kSchemaVersion) {
            throw Error(path + ": registry schema version " + std::to_string(version) +
                        " is older than this Lathe (" + std::to_string(kSchemaVersion) +
                        "); open it once without read-only to upgrade it");
        }
    } else {
        // Checked before switching to WAL, so that a foreign file is refused untouched.
        check_registry(db);
        switch_to_wal(db, path, options.busy_timeout_ms);
        // NORMAL in WAL loses at most the last transactions on power loss, never consistency;
        // every ingestion batch carries its own offset, so what is lost is simply re-read.
        db.exec("PRAGMA synchronous = NORMAL");
        migrate(db);
    }
    db.exec("PRAGMA foreign_keys = ON");
    return Registry(std::move(db));
}

int Registry::schema_version() const {
    return static_cast<int>(db_.query_int64("PRAGMA user_version"));
}

std::int64_t Registry::run_key(const std::string& id) const {
    auto& stmt = db_.cached("SELECT run_pk FROM runs WHERE id = ?1");
    stmt.bind(1, id);
    if (!stmt.step())
        throw Error("no run '" + id + "' in " + path());
    const std::int64_t key = stmt.int64(0);
    stmt.reset();
    return key;
}

void Registry::insert_run(const RunRecord& run) {
    if (run.id.empty())
        throw Error(path() + ": a run needs an id");
    for (const auto& tag : run.tags)
        check_tag(tag, run.id);
    sqlite::Transaction tx(db_);
    if (find_run_key(db_, run.id))
        throw Error(path() + ": run '" + run.id + "' already exists");
    // Only queued runs hold a position; without one they go to the end of the queue.
    const bool queued = run.status == RunStatus::queued;
    std::int64_t position = 0;
    if (queued && run.queue_position) {
        position = *run.queue_position;
    } else if (queued) {
        auto& last = db_.cached(
            "SELECT coalesce(max(queue_position), 0) FROM runs WHERE target = ?1 AND "
            "queue_position IS NOT NULL");
        last.bind(1, run.target).step();
        position = last.int64(0) + 1;
        last.reset();
    }
    auto& stmt = db_.cached(
        "INSERT INTO runs(id, name, status, target, host, run_dir, config, kind, created_at, "
        "started_at, ended_at, exit_code, failure_reason, pid, global_step, max_steps, last_loss, "
        "last_eval_loss, notes, parent_run_id, parent_checkpoint, fork_diff, queue_position, "
        "best_eval_loss) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)");
    stmt.bind(1, run.id).bind(2, run.name).bind(3, to_string(run.status)).bind(4, run.target);
    stmt.bind(5, run.host).bind(6, run.run_dir).bind(7, run.config.dump()).bind(8, run.kind);
    stmt.bind(9, run.created_at).bind(10, run.started_at).bind(11, run.ended_at);
    stmt.bind(12, run.exit_code).bind(13, run.failure_reason).bind(14, run.pid);
    stmt.bind(15, run.global_step).bind(16, run.max_steps).bind(17, run.last_loss);
    stmt.bind(18, run.last_eval_loss).bind(19, run.notes).bind(20, run.parent_run_id);
    stmt.bind(21, run.parent_checkpoint).bind(22, run.fork_diff.dump());
    if (queued)
        stmt.bind(23, position);
    stmt.bind(24, run.best_eval_loss);
    stmt.run();
    const std::int64_t key = db_.last_insert_rowid();
    db_.cached("INSERT INTO ingestion(run) VALUES (?1)").bind(1, key).run();
    for (const auto& tag : run.tags)
        db_.cached("INSERT OR IGNORE INTO tags(run, tag) VALUES (?1, ?2)")
            .bind(1, key)
            .bind(2, tag)
            .run();
    if (run.status == RunStatus::queued && run.queue_position)
        renumber_queue(run.target);
    tx.commit();
}

std::optional<RunRecord> Registry::find_run(const std::string& id) const {
    auto& stmt = db_.cached(std::string(kRunSelect) + " WHERE id = ?1");
    stmt.bind(1, id);
    if (!stmt.step())
        return std::nullopt;
    RunRecord run = read_run(stmt, true, path());
    stmt.reset();
    return run;
}

RunRecord Registry::get_run(const std::string& id) const {
    auto run = find_run(id);
    if (!run)
        throw Error("no run '" + id + "' in " + path());
    return std::move(*run);
}

std::vector<RunRecord> Registry::list_runs(const RunFilter& filter) const {
    const std::string sql = std::string(kRunSelect) +
                            " WHERE (?1 IS NULL OR status = ?1) ORDER BY created_at DESC, "
                            "run_pk DESC LIMIT ?2";
    auto& stmt = db_.cached(sql);
    if (filter.status)
        stmt.bind(1, to_string(*filter.status));
    stmt.bind(2, filter.limit ? *filter.limit : std::int64_t{-1});
    std::vector<RunRecord> runs;
    while (stmt.step())
        runs.push_back(read_run(stmt, filter.include_config, path()));
    stmt.reset();
    return runs;
}

void Registry::update_run(const std::string& id, const RunUpdate& update) {
    sqlite::Transaction tx(db_);
    const RunRecord before = get_run(id);
    auto& stmt = db_.cached(
        "UPDATE runs SET status = coalesce(?2, status), started_at = coalesce(?3, started_at), "
        "ended_at = coalesce(?4, ended_at), exit_code = coalesce(?5, exit_code), "
        "failure_reason = coalesce(?6, failure_reason), pid = coalesce(?7, pid), "
        "name = coalesce(?8, name), host = coalesce(?9, host), run_dir = coalesce(?10, run_dir) "
        "WHERE id = ?1");
    stmt.bind(1, id);
    if (update.status)
        stmt.bind(2, to_string(*update.status));
    stmt.bind(3, update.started_at).bind(4, update.ended_at).bind(5, update.exit_code);
    stmt.bind(6, update.failure_reason).bind(7, update.pid).bind(8, update.name);
    stmt.bind(9, update.host).bind(10, update.run_dir);
    stmt.run();
    // Only queued runs hold a queue position.
    if (update.status && *update.status != before.status) {
        if (*update.status == RunStatus::queued) {
            db_.cached(
                   "UPDATE runs SET queue_position = (SELECT coalesce(max(queue_position), 0) + 1 "
                   "FROM runs WHERE target = ?2 AND queue_position IS NOT NULL) WHERE id = ?1")
                .bind(1, id)
                .bind(2, before.target)
                .run();
        } else if (before.status == RunStatus::queued) {
            db_.cached("UPDATE runs SET queue_position = NULL WHERE id = ?1").bind(1, id).run();
            renumber_queue(before.target);
        }
    }
    tx.commit();
}

void Registry::set_notes(const std::string& id, const std::string& notes) {
    sqlite::Transaction tx(db_);
    const std::int64_t key = run_key(id);
    db_.cached("UPDATE runs SET notes = ?2 WHERE run_pk = ?1").bind(1, key).bind(2, notes).run();
    tx.commit();
}

void Registry::add_tag(const std::string& id, const std::string& tag) {
    check_tag(tag, id);
    sqlite::Transaction tx(db_);
    const std::int64_t key = run_key(id);
    db_.cached("INSERT OR IGNORE INTO tags(run, tag) VALUES (?1, ?2)")
        .bind(1, key)
        .bind(2, tag)
        .run();
    tx.commit();
}

void Registry::remove_tag(const std::string& id, const std::string& tag) {
    sqlite::Transaction tx(db_);
    const std::int64_t key = run_key(id);
    db_.cached("DELETE FROM tags WHERE run = ?1 AND tag = ?2").bind(1, key).bind(2, tag).run();
    tx.commit();
}

void Registry::remove_run(const std::string& id) {
    sqlite::Transaction tx(db_);
    const RunRecord run = get_run(id);
    // ON DELETE CASCADE (foreign_keys=ON) removes metrics, checkpoints, samples, tags, ingestion.
    db_.cached("DELETE FROM runs WHERE id = ?1").bind(1, id).run();
    if (run.queue_position)
        renumber_queue(run.target);
    tx.commit();
}

}  // namespace lathe::core::registry
