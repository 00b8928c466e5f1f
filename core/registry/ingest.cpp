#include "core/registry/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/events/event_types.h"
#include "core/registry/event_batch.h"
#include "core/registry/metric_store.h"
#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

using nlohmann::json;
namespace ev = lathe::core::events;

// The runs columns that events change, read and written once per batch.
struct RunState {
    RunStatus status = RunStatus::queued;
    std::optional<double> started_at, ended_at;
    std::string failure_reason;
    std::int64_t global_step = 0;
    std::int64_t max_steps = 0;
    std::optional<double> last_loss, last_eval_loss, best_eval_loss;
    bool config_missing = false;
    std::optional<std::string> config;  // from run_started, when the run had none
    std::string host;
};

struct Cursor {
    std::uint64_t byte_offset = 0;
    std::int64_t next_line = 1;
    std::int64_t last_seq = 0;
    std::int64_t status_seq = 0;  // seq of the event that set the current status
};

// A malformed field of a well-formed event: reported and the event skipped.
struct BadEvent {
    std::string message;
};

std::int64_t int_field(const json& event, const char* name) {
    auto it = event.find(name);
    if (it == event.end() || !it->is_number())
        throw BadEvent{std::string("field \"") + name + "\" is missing or not a number"};
    return it->is_number_integer() ? it->get<std::int64_t>()
                                   : static_cast<std::int64_t>(it->get<double>());
}

std::optional<double> number_field(const json& event, const char* name) {
    auto it = event.find(name);
    if (it == event.end() || !it->is_number())
        return std::nullopt;
    return it->get<double>();
}

std::string string_field(const json& event, const char* name, bool required) {
    auto it = event.find(name);
    if (it == event.end() || !it->is_string()) {
        if (required)
            throw BadEvent{std::string("field \"") + name + "\" is missing or not a string"};
        return "";
    }
    return it->get<std::string>();
}

// A log, eval or progress event as ingestion reads it: its numeric fields sorted by key, from
// the flat parser or from a DOM.
struct NumericEvent {
    std::int64_t seq = 0;
    std::string_view type;
    const std::vector<FlatField>& numbers;

    const FlatNumber* find(std::string_view name) const {
        auto it = std::lower_bound(
            numbers.begin(), numbers.end(), name,
            [](const FlatField& field, std::string_view key) { return field.key < key; });
        return it != numbers.end() && it->key == name ? &it->number : nullptr;
    }
    // int_field's rule: an integer as is, a real truncated.
    std::int64_t integer(const char* name) const {
        const FlatNumber* n = find(name);
        if (!n)
            throw BadEvent{std::string("field \"") + name + "\" is missing or not a number"};
        return n->is_integer ? n->integer : static_cast<std::int64_t>(n->real);
    }
    std::optional<double> real(const char* name) const {
        const FlatNumber* n = find(name);
        return n ? std::optional<double>(n->real) : std::nullopt;
    }
};

// The numeric fields of a DOM event, with views of its keys (valid while `event` lives).
void numeric_fields(const json& event, std::vector<FlatField>& out) {
    out.clear();
    for (const auto& [key, value] : event.items()) {
        // Booleans are not numbers in nlohmann::json; nulls (non-finite) are skipped.
        if (!value.is_number())
            continue;
        FlatNumber n;
        n.is_integer = value.is_number_integer();
        n.integer = n.is_integer ? value.get<std::int64_t>() : 0;
        n.real = value.get<double>();
        out.push_back({key, n});
    }
}

bool is_envelope_or_position(std::string_view key) {
    return key == "seq" || key == "time" || key == "step" || key == "epoch" || key == "run_id" ||
           key == "type";
}

// SQLite checkpoints the WAL into the database every 1000 pages (4 MB) by default, each time with
// two fsyncs; ingesting a million points took more time waiting for those than doing anything
// else. While ingesting, checkpoint every kIngestCheckpointPages (the WAL grows to ~32 MB at
// most), then once at the end, so that the next small writer (the launcher) does not pay for a
// long WAL. Checkpoints move committed data around; what a crash or power cut keeps is still a
// prefix of the events (docs/registry.md).
constexpr int kIngestCheckpointPages = 8192;

class CheckpointWindow {
  public:
    explicit CheckpointWindow(sqlite::Database& db)
        : db_(db), saved_(db.query_int64("PRAGMA wal_autocheckpoint")) {
        db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(kIngestCheckpointPages));
    }
    ~CheckpointWindow() {
        try {
            db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(saved_));
            if (wrote_)
                db_.exec("PRAGMA wal_checkpoint(PASSIVE)");  // never waits for readers
        } catch (...) {
            // A failed checkpoint loses nothing: the next commit or open does it.
        }
    }
    CheckpointWindow(const CheckpointWindow&) = delete;
    CheckpointWindow& operator=(const CheckpointWindow&) = delete;
    void wrote() { wrote_ = true; }

  private:
    sqlite::Database& db_;
    std::int64_t saved_;
    bool wrote_ = false;
};

class Ingester {
  public:
    Ingester(Registry& registry, std::string run_id, std::string path)
        : registry_(registry),
          db_(registry.database()),
          run_id_(std::move(run_id)),
          path_(std::move(path)),
          metrics_(db_) {}

    IngestResult run(const IngestOptions& options) {
        if (options.batch_events == 0)
            throw Error(path_ + ": batch_events must be at least 1");
        IngestResult result;
        run_ = registry_.run_key(run_id_);
        Cursor cursor = load_cursor();
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0)
            throw Error(path_ + ": cannot read events of run '" + run_id_ +
                        "': " + std::strerror(errno));
        if (static_cast<std::uint64_t>(st.st_size) < cursor.byte_offset) {
            // Replaced or cut: read it all again; seqs already ingested are skipped.
            result.errors.push_back(path_ + ": holds " + std::to_string(st.st_size) +
                                    " bytes, fewer than the " + std::to_string(cursor.byte_offset) +
                                    " already ingested: the file was replaced; reading it again");
            cursor.byte_offset = 0;
            cursor.next_line = 1;
        }
        CheckpointWindow checkpoints(db_);
        EventBatch batch;  // reused: its buffers stay allocated from one batch to the next
        for (;;) {
            read_event_batch(path_, cursor.byte_offset, options.batch_events, cursor.next_line,
                             batch);
            for (auto& error : batch.errors)
                result.errors.push_back(std::move(error));
            if (batch.next_offset == cursor.byte_offset)
                break;
            apply_batch(batch, cursor, result);
            checkpoints.wrote();
            if (batch.events.size() < options.batch_events)
                break;  // read_events stopped at the end of the complete lines
        }
        result.progress = {cursor.byte_offset, cursor.next_line, cursor.last_seq};
        return result;
    }

  private:
    Cursor load_cursor() {
        auto& stmt = db_.cached(
            "SELECT byte_offset, next_line, last_seq, status_seq FROM ingestion WHERE run = ?1");
        stmt.bind(1, run_);
        Cursor cursor;
        if (stmt.step()) {
            cursor.byte_offset = static_cast<std::uint64_t>(stmt.int64(0));
            cursor.next_line = stmt.int64(1);
            cursor.last_seq = stmt.int64(2);
            cursor.status_seq = stmt.int64(3);
        }
        stmt.reset();
        return cursor;
    }

    RunState load_state() {
        auto& stmt = db_.cached(
            "SELECT status, started_at, ended_at, failure_reason, global_step, max_steps, "
            "last_loss, last_eval_loss, config = 'null', host, best_eval_loss FROM runs WHERE "
            "run_pk = ?1");
        stmt.bind(1, run_);
        if (!stmt.step())
            throw Error("no run '" + run_id_ + "' in " + registry_.path());
        RunState s;
        s.status = parse_run_status(stmt.text(0));
        s.started_at = stmt.optional_real(1);
        s.ended_at = stmt.optional_real(2);
        s.failure_reason = stmt.text(3);
        s.global_step = stmt.int64(4);
        s.max_steps = stmt.int64(5);
        s.last_loss = stmt.optional_real(6);
        s.last_eval_loss = stmt.optional_real(7);
        s.config_missing = stmt.int64(8) != 0;
        s.host = stmt.text(9);
        s.best_eval_loss = stmt.optional_real(10);
        stmt.reset();
        return s;
    }

    void apply_batch(const EventBatch& batch, Cursor& cursor, IngestResult& result) {
        sqlite::Transaction tx(db_, sqlite::Transaction::Mode::immediate);
        // Read under the write lock, so that what another connection changed meanwhile (a
        // status set by the launcher, a re-ingest) is not overwritten with stale values.
        Cursor saved = load_cursor();
        // The cursor in memory may have been reset to 0 for a replaced file; last_seq holds.
        cursor.last_seq = saved.last_seq;
        cursor.status_seq = saved.status_seq;
        RunState state = load_state();
        try {
            for (const BatchEvent& event : batch.events) {
                const std::int64_t seq = event.seq;
                if (seq <= cursor.last_seq)
                    continue;  // already ingested (a re-read after a crash or a replaced file)
                const std::string_view type =
                    event.flat_type
                        ? std::string_view(event.flat_type)
                        : std::string_view(event.dom["type"].get_ref<const std::string&>());
                try {
                    if (event.flat_type) {
                        fields_.clear();
                        for (std::size_t i = event.first_field; i < event.end_field; ++i)
                            fields_.push_back({batch.key(batch.fields[i]), batch.fields[i].number});
                        apply_numbers({seq, type, fields_}, state);
                    } else if (type == ev::kLog || type == ev::kEval || type == ev::kProgress) {
                        numeric_fields(event.dom, fields_);
                        apply_numbers({seq, type, fields_}, state);
                    } else {
                        apply(event.dom, seq, state, cursor);
                    }
                } catch (const BadEvent& bad) {
                    result.errors.push_back(path_ + ": seq " + std::to_string(seq) + " (" +
                                            std::string(type) + "): " + bad.message + "; skipped");
                }
                cursor.last_seq = seq;
                ++result.events;
            }
            // The points of the batch go into their chunks in the batch's transaction.
            result.points += metrics_.flush(run_);
            save_state(state);
            cursor.byte_offset = batch.next_offset;
            cursor.next_line = batch.next_line;
            auto& stmt = db_.cached(
                "UPDATE ingestion SET byte_offset = ?2, next_line = ?3, last_seq = ?4, "
                "status_seq = ?5 WHERE run = ?1");
            stmt.bind(1, run_).bind(2, static_cast<std::int64_t>(cursor.byte_offset));
            stmt.bind(3, cursor.next_line).bind(4, cursor.last_seq).bind(5, cursor.status_seq);
            stmt.run();
            tx.commit();
        } catch (...) {
            // The rollback may have undone metric_keys rows whose ids are cached, and the points
            // still queued belong to the batch it undid.
            metrics_.clear();
            throw;
        }
    }

    // log and eval: every numeric field but the envelope is a point; progress: the step count.
    void apply_numbers(const NumericEvent& event, RunState& state) {
        if (event.type == ev::kProgress) {
            state.global_step = event.integer("step");
            if (auto max_steps = event.real("max_steps"))
                state.max_steps = static_cast<std::int64_t>(*max_steps);
            return;
        }
        MetricPoint point;
        point.seq = event.seq;
        point.step = event.integer("step");
        point.epoch = event.real("epoch");
        point.time = event.real("time").value_or(0.0);
        for (const FlatField& field : event.numbers) {
            if (is_envelope_or_position(field.key))
                continue;
            point.value = field.number.real;
            metrics_.add(metrics_.key_id(field.key), point);
            if (field.key == "loss")
                state.last_loss = point.value;
            else if (field.key == "eval_loss") {
                state.last_eval_loss = point.value;
                state.best_eval_loss =
                    std::min(state.best_eval_loss.value_or(point.value), point.value);
            }
        }
        state.global_step = point.step;
    }

    // The other event types, from their DOM.
    void apply(const json& event, std::int64_t seq, RunState& state, Cursor& cursor) {
        const std::string& type = event["type"].get_ref<const std::string&>();
        const double time = number_field(event, "time").value_or(0.0);
        if (type == ev::kRunStarted) {
            // A status set by a later event wins (status_seq); a resumed run starts again.
            if (!(is_terminal(state.status) && cursor.status_seq > seq)) {
                state.status = RunStatus::running;
                if (!state.started_at)
                    state.started_at = time;
                state.ended_at.reset();
                state.failure_reason.clear();
                cursor.status_seq = seq;
            }
            if (auto max_steps = number_field(event, "max_steps"))
                state.max_steps = static_cast<std::int64_t>(*max_steps);
            if (state.config_missing) {
                if (auto it = event.find("config"); it != event.end() && it->is_object())
                    state.config = it->dump();
            }
        } else if (type == ev::kCheckpointSaved) {
            CheckpointRecord c;
            c.path = string_field(event, "path", true);
            c.step = int_field(event, "step");
            c.bytes = event.contains("bytes") ? int_field(event, "bytes") : 0;
            if (auto it = event.find("metrics"); it != event.end() && it->is_object())
                c.metrics = *it;
            c.best = event.value("best", false);
            c.host = state.host;
            c.saved_at = time;
            upsert_checkpoint(c);
        } else if (type == ev::kCheckpointDeleted) {
            db_.cached(
                   "UPDATE checkpoints SET present = 0, deleted_at = ?3 WHERE run = ?1 AND "
                   "path = ?2")
                .bind(1, run_)
                .bind(2, string_field(event, "path", true))
                .bind(3, time)
                .run();
        } else if (type == ev::kSample) {
            db_.cached(
                   "INSERT OR IGNORE INTO samples(run, seq, step, time, prompt, text) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(1, run_)
                .bind(2, seq)
                .bind(3, int_field(event, "step"))
                .bind(4, time)
                .bind(5, string_field(event, "prompt", false))
                .bind(6, string_field(event, "text", true))
                .run();
        } else if (type == ev::kRunFinished) {
            const std::string reason = string_field(event, "reason", false);
            state.status =
                reason == ev::kFinishedStopped ? RunStatus::stopped : RunStatus::finished;
            state.failure_reason = reason;
            state.ended_at = time;
            cursor.status_seq = seq;
        } else if (type == ev::kRunFailed) {
            state.status = RunStatus::failed;
            state.failure_reason =
                string_field(event, "reason", false) + ": " + string_field(event, "message", false);
            state.ended_at = time;
            cursor.status_seq = seq;
        }
        // warning and types added later carry nothing the registry keeps.
    }

    void upsert_checkpoint(const CheckpointRecord& c) {
        db_.cached(
               "INSERT INTO checkpoints(run, path, step, host, bytes, metrics, best, present, "
               "saved_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, NULL) ON "
               "CONFLICT(run, path) DO UPDATE SET step = excluded.step, host = excluded.host, "
               "bytes = excluded.bytes, metrics = excluded.metrics, best = excluded.best, "
               "present = 1, saved_at = excluded.saved_at, deleted_at = NULL")
            .bind(1, run_)
            .bind(2, c.path)
            .bind(3, c.step)
            .bind(4, c.host)
            .bind(5, c.bytes)
            .bind(6, c.metrics.dump())
            .bind(7, std::int64_t{c.best})
            .bind(8, c.saved_at)
            .run();
        if (c.best) {
            db_.cached(
                   "UPDATE checkpoints SET best = 0 WHERE run = ?1 AND path <> ?2 AND best <> 0")
                .bind(1, run_)
                .bind(2, c.path)
                .run();
        }
    }

    void save_state(const RunState& s) {
        auto& stmt = db_.cached(
            "UPDATE runs SET status = ?2, started_at = ?3, ended_at = ?4, failure_reason = ?5, "
            "global_step = ?6, max_steps = ?7, last_loss = ?8, last_eval_loss = ?9, "
            "config = coalesce(?10, config), best_eval_loss = ?11, "
            "queue_position = CASE WHEN ?2 = 'queued' THEN queue_position END WHERE run_pk = ?1");
        stmt.bind(1, run_).bind(2, to_string(s.status)).bind(3, s.started_at);
        stmt.bind(4, s.ended_at).bind(5, s.failure_reason).bind(6, s.global_step);
        stmt.bind(7, s.max_steps).bind(8, s.last_loss).bind(9, s.last_eval_loss);
        stmt.bind(10, s.config).bind(11, s.best_eval_loss);
        stmt.run();
    }

    Registry& registry_;
    sqlite::Database& db_;
    std::string run_id_;
    std::string path_;
    MetricStore metrics_;
    std::vector<FlatField> fields_;  // the numeric fields of the event being applied, reused
    std::int64_t run_ = 0;
};

}  // namespace

IngestResult ingest_events(Registry& registry, const std::string& run_id,
                           const std::string& events_path, const IngestOptions& options) {
    return Ingester(registry, run_id, events_path).run(options);
}

}  // namespace lathe::core::registry
