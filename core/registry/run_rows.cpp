#include "core/registry/run_rows.h"

#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

nlohmann::json parse_json(const std::string& text, const std::string& id, const char* column,
                          const std::string& db_path) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(db_path + ": run '" + id + "': column " + column + " is not JSON: " + e.what());
    }
}

}  // namespace

RunRecord read_run(const sqlite::Statement& row, bool with_config, const std::string& db_path) {
    RunRecord run;
    run.id = row.text(0);
    run.name = row.text(1);
    try {
        run.status = parse_run_status(row.text(2));
    } catch (const Error& e) {
        throw Error(db_path + ": run '" + run.id + "': " + e.what());
    }
    run.target = row.text(3);
    run.host = row.text(4);
    run.run_dir = row.text(5);
    if (with_config)
        run.config = parse_json(row.text(6), run.id, "config", db_path);
    run.kind = row.text(7);
    run.created_at = row.real(8);
    run.started_at = row.optional_real(9);
    run.ended_at = row.optional_real(10);
    if (auto code = row.optional_int64(11))
        run.exit_code = static_cast<int>(*code);
    run.failure_reason = row.text(12);
    if (auto pid = row.optional_int64(13))
        run.pid = static_cast<int>(*pid);
    run.global_step = row.int64(14);
    run.max_steps = row.int64(15);
    run.last_loss = row.optional_real(16);
    run.last_eval_loss = row.optional_real(17);
    run.notes = row.text(18);
    run.parent_run_id = row.text(19);
    run.parent_checkpoint = row.text(20);
    const std::string diff = row.text(21);
    if (diff != "null")
        run.fork_diff = parse_json(diff, run.id, "fork_diff", db_path);
    run.queue_position = row.optional_int64(22);
    run.best_eval_loss = row.optional_real(24);
    const std::string tags = row.text(23);
    std::size_t start = 0;
    while (start < tags.size()) {
        std::size_t end = tags.find('\x1f', start);
        if (end == std::string::npos)
            end = tags.size();
        run.tags.push_back(tags.substr(start, end - start));
        start = end + 1;
    }
    return run;
}

std::optional<std::int64_t> find_run_key(const sqlite::Database& db, const std::string& id) {
    auto& stmt = db.cached("SELECT run_pk FROM runs WHERE id = ?1");
    stmt.bind(1, id);
    if (!stmt.step())
        return std::nullopt;
    const std::int64_t key = stmt.int64(0);
    stmt.reset();
    return key;
}

}  // namespace lathe::core::registry
