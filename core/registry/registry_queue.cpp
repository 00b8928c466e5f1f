// Registry: the launch queue of each target.
#include "core/registry/registry.h"
#include "core/registry/run_rows.h"
#include "core/util/error.h"

namespace lathe::core::registry {

std::vector<RunRecord> Registry::queued_runs(const std::string& target) const {
    auto& stmt = db_.cached(std::string(kRunSelect) +
                            " WHERE target = ?1 AND status = 'queued' ORDER BY queue_position, "
                            "created_at, run_pk");
    stmt.bind(1, target);
    std::vector<RunRecord> runs;
    while (stmt.step())
        runs.push_back(read_run(stmt, true, path()));
    stmt.reset();
    return runs;
}

void Registry::renumber_queue(const std::string& target) {
    // Positions are kept 1..n without gaps so that the UI can show them as they are.
    auto& select = db_.cached(
        "SELECT run_pk FROM runs WHERE target = ?1 AND queue_position IS NOT NULL ORDER BY "
        "queue_position, created_at, run_pk");
    select.bind(1, target);
    std::vector<std::int64_t> keys;
    while (select.step())
        keys.push_back(select.int64(0));
    select.reset();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        db_.cached("UPDATE runs SET queue_position = ?2 WHERE run_pk = ?1")
            .bind(1, keys[i])
            .bind(2, static_cast<std::int64_t>(i + 1))
            .run();
    }
}

void Registry::move_in_queue(const std::string& id, std::int64_t position) {
    sqlite::Transaction tx(db_);
    const RunRecord run = get_run(id);
    if (run.status != RunStatus::queued || !run.queue_position)
        throw Error(path() + ": run '" + id + "' is " + to_string(run.status) + ", not queued");
    const auto queue = queued_runs(run.target);
    if (position < 1 || position > static_cast<std::int64_t>(queue.size())) {
        throw Error(path() + ": run '" + id + "': queue position " + std::to_string(position) +
                    " is outside 1.." + std::to_string(queue.size()) + " of target '" + run.target +
                    "'");
    }
    std::vector<std::string> order;
    for (const auto& queued : queue) {
        if (queued.id != id)
            order.push_back(queued.id);
    }
    order.insert(order.begin() + (position - 1), id);
    for (std::size_t i = 0; i < order.size(); ++i) {
        db_.cached("UPDATE runs SET queue_position = ?2 WHERE id = ?1")
            .bind(1, order[i])
            .bind(2, static_cast<std::int64_t>(i + 1))
            .run();
    }
    tx.commit();
}

std::optional<std::string> Registry::claim_next_queued(const std::string& target) {
    // IMMEDIATE: the check and the claim happen under the database's single write lock, so two
    // processes cannot both see "nothing running" and both start a run.
    sqlite::Transaction tx(db_, sqlite::Transaction::Mode::immediate);
    auto& busy = db_.cached(
        "SELECT count(*) FROM runs WHERE target = ?1 AND status IN ('starting', 'running')");
    busy.bind(1, target).step();
    const bool occupied = busy.int64(0) > 0;
    busy.reset();
    if (occupied)
        return std::nullopt;
    auto& first = db_.cached(
        "SELECT id FROM runs WHERE target = ?1 AND status = 'queued' ORDER BY queue_position, "
        "created_at, run_pk LIMIT 1");
    first.bind(1, target);
    if (!first.step())
        return std::nullopt;
    std::string id = first.text(0);
    first.reset();
    db_.cached("UPDATE runs SET status = 'starting', queue_position = NULL WHERE id = ?1")
        .bind(1, id)
        .run();
    renumber_queue(target);
    tx.commit();
    return id;
}

}  // namespace lathe::core::registry
