// Registry figures: ingestion rate of a ~1,000,000-point events.jsonl against two references
// measured in the same run (parsing the same file with read_events alone, and inserting the same
// points with one raw prepared INSERT in one transaction), the time to read a 1,000,000-point
// series back, and the time to list 10,000 runs.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/registry/ingest.h"
#include "core/registry/registry.h"

namespace fs = std::filesystem;
using namespace lathe::core::registry;
using nlohmann::json;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Log events with the 6 numeric fields the trainer writes, an eval every 50 logs.
std::int64_t write_events(const std::string& path, int logs) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::int64_t seq = 0;
    auto line = [&](const std::string& type, json fields) {
        fields["seq"] = ++seq;
        fields["time"] = 1795466191.988003 + seq * 0.01;
        fields["run_id"] = "bench";
        fields["type"] = type;
        out << fields.dump() << '\n';
    };
    line("run_started", {{"max_steps", logs}, {"world_size", 1}});
    for (int i = 1; i <= logs; ++i) {
        line("log", {{"loss", 5.0741 - i * 1e-5},
                     {"grad_norm", 2.2126967906951904},
                     {"learning_rate", 0.0006666666666666666},
                     {"epoch", i * 0.0008203445447087777},
                     {"step", i},
                     {"tokens_per_second", 5696.858152547761},
                     {"step_time_seconds", 0.3594964005},
                     {"num_input_tokens_seen", i * 2048}});
        if (i % 50 == 0) {
            line("eval", {{"eval_loss", 2.6698651876880897},
                          {"eval_perplexity", 14.438022638384785},
                          {"eval_runtime", 2.4054},
                          {"eval_samples_per_second", 165.463},
                          {"eval_steps_per_second", 5.405},
                          {"epoch", i * 0.0008203445447087777},
                          {"step", i}});
        }
    }
    line("run_finished", {{"reason", "completed"}});
    return seq;
}

}  // namespace

int main(int argc, char** argv) {
    const fs::path dir =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "lathe-bench-registry";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string events_path = (dir / "events.jsonl").string();
    const int logs = 166000;  // 6 points each + 5 per eval: ~1,012,000 points
    const std::int64_t events = write_events(events_path, logs);
    std::printf("events.jsonl: %lld events, %.1f MB\n", static_cast<long long>(events),
                fs::file_size(events_path) / 1e6);

    // Reference 1: parsing alone.
    auto start = std::chrono::steady_clock::now();
    std::size_t parsed = 0;
    for (std::uint64_t offset = 0;;) {
        auto r = lathe::core::events::read_events(events_path, offset, 5000);
        parsed += r.events.size();
        if (r.next_offset == offset)
            break;
        offset = r.next_offset;
    }
    const double parse_s = seconds_since(start);
    std::printf("reference read_events parse: %zu events in %.3f s = %.0f events/s\n", parsed,
                parse_s, parsed / parse_s);

    // Ingestion.
    const std::string db_path = (dir / "registry.sqlite3").string();
    auto reg = Registry::open({db_path});
    RunRecord run;
    run.id = "bench";
    run.status = RunStatus::starting;
    reg.insert_run(run);
    start = std::chrono::steady_clock::now();
    const IngestResult result = ingest_events(reg, "bench", events_path);
    const double ingest_s = seconds_since(start);
    std::printf(
        "ingest_events: %lld events, %lld points in %.3f s = %.0f events/s, %.0f points/s "
        "(target >= 100000 events/s); parse-only / ingest = %.2f\n",
        static_cast<long long>(result.events), static_cast<long long>(result.points), ingest_s,
        result.events / ingest_s, result.points / ingest_s, parse_s / ingest_s);

    // Reference 2: the same number of points through one raw prepared INSERT, one transaction.
    {
        sqlite3* db = nullptr;
        const std::string raw_path = (dir / "raw.sqlite3").string();
        sqlite3_open(raw_path.c_str(), &db);
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE m(run "
                     "INTEGER, key INTEGER, seq INTEGER, step INTEGER, epoch REAL, time REAL, "
                     "value REAL, PRIMARY KEY(run, key, seq)) WITHOUT ROWID;",
                     nullptr, nullptr, nullptr);
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO m VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
                           &stmt, nullptr);
        start = std::chrono::steady_clock::now();
        sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        for (std::int64_t i = 0; i < result.points; ++i) {
            sqlite3_bind_int64(stmt, 1, 1);
            sqlite3_bind_int64(stmt, 2, i % 6 + 1);
            sqlite3_bind_int64(stmt, 3, i / 6 + 1);
            sqlite3_bind_int64(stmt, 4, i / 6);
            sqlite3_bind_double(stmt, 5, i * 1e-4);
            sqlite3_bind_double(stmt, 6, 1795466191.0 + i);
            sqlite3_bind_double(stmt, 7, 1.0 / (i + 1));
            sqlite3_step(stmt);
            sqlite3_reset(stmt);
        }
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        const double raw_s = seconds_since(start);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        std::printf(
            "reference raw INSERT of %lld points: %.3f s = %.0f points/s; raw / ingest = "
            "%.2f\n",
            static_cast<long long>(result.points), raw_s, result.points / raw_s, raw_s / ingest_s);
    }

    // A 1,000,000-point series read back.
    reg.add_metric_points("bench", "big", [] {
        std::vector<MetricPoint> points(1000000);
        for (std::size_t i = 0; i < points.size(); ++i)
            points[i] = {static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(i), i * 1e-6,
                         1795466191.0 + i, 1.0 / (i + 1)};
        return points;
    }());
    start = std::chrono::steady_clock::now();
    const auto series = reg.metric_series("bench", "big");
    const double series_s = seconds_since(start);
    std::printf("metric_series of %zu points: %.1f ms (target < 200 ms)\n", series.size(),
                series_s * 1e3);
    // A live view's poll: the last 100 points of it, against reading it all (the reference).
    start = std::chrono::steady_clock::now();
    const auto tail = reg.metric_series("bench", "big", series.back().seq - 100);
    const double tail_s = seconds_since(start);
    std::printf(
        "metric_series of the %zu points after a seq (a poll): %.3f ms; %.0fx faster than "
        "reading the whole series\n",
        tail.size(), tail_s * 1e3, series_s / tail_s);
    start = std::chrono::steady_clock::now();
    const auto loss = reg.metric_series("bench", "loss");
    std::printf("metric_series of %zu loss points: %.1f ms\n", loss.size(),
                seconds_since(start) * 1e3);

    // 10,000 runs listed.
    {
        lathe::core::registry::sqlite::Transaction tx(reg.database());
        for (int i = 0; i < 10000; ++i) {
            RunRecord r;
            r.id = "run-" + std::to_string(i);
            r.name = r.id;
            r.status = RunStatus::finished;
            r.created_at = 1795466191.0 + i;
            r.config = {{"training_args", {{"learning_rate", 0.001}, {"max_steps", 300}}}};
            r.tags = {"bench"};
            reg.insert_run(r);
        }
        tx.commit();
    }
    start = std::chrono::steady_clock::now();
    const auto runs = reg.list_runs();
    std::printf("list_runs of %zu runs: %.1f ms (target < 100 ms)\n", runs.size(),
                seconds_since(start) * 1e3);
    RunFilter with_config;
    with_config.include_config = true;
    start = std::chrono::steady_clock::now();
    const auto full = reg.list_runs(with_config);
    std::printf("list_runs of %zu runs with run.json: %.1f ms\n", full.size(),
                seconds_since(start) * 1e3);
    fs::remove_all(dir);
    return 0;
}
