#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "core/events/event_reader.h"
#include "core/registry/ingest.h"
#include "core/registry/ingest_lock.h"
#include "core/registry/registry.h"
#include "core/util/error.h"
#include "tests/core/registry/registry_test_support.h"
#include "tests/test_support.h"

namespace lathe::core::registry {
namespace {
namespace fs = std::filesystem;
using testing::append_line;
using testing::event_line;
using testing::full_run_events;
using testing::make_run;

struct Setup {
    std::string dir, db_path, events;
};

Setup setup(const std::string& name) {
    const auto dir = tests::temp_dir(name);
    Setup s{dir.string(), (dir / "registry.sqlite3").string(), (dir / "events.jsonl").string()};
    auto reg = Registry::open({s.db_path});
    RunRecord run = make_run("r1", 1.0, RunStatus::starting);
    run.config = nullptr;
    run.host = "box";
    reg.insert_run(run);
    return s;
}

// Everything ingestion wrote for r1, as one comparable text.
std::string snapshot(Registry& reg) {
    std::string out;
    auto rows = [&](const std::string& sql) {
        auto stmt = reg.database().prepare(sql);
        while (stmt.step()) {
            for (int c = 0; c < 10; ++c)
                out += stmt.text(c) + "|";
            out += "\n";
        }
    };
    // Points are packed in chunks: read them through the API.
    for (const std::string& key : reg.metric_keys("r1")) {
        for (const MetricPoint& p : reg.metric_series("r1", key)) {
            char line[200];
            std::snprintf(line, sizeof line, "%s|%lld|%lld|%.17g|%.17g|%.17g|\n", key.c_str(),
                          static_cast<long long>(p.seq), static_cast<long long>(p.step),
                          p.epoch.value_or(-1.0), p.time, p.value);
            out += line;
        }
    }
    rows(
        "SELECT path, step, host, bytes, metrics, best, present, saved_at, deleted_at, '' FROM "
        "checkpoints ORDER BY path");
    rows("SELECT seq, step, time, prompt, text, '', '', '', '', '' FROM samples ORDER BY seq");
    rows(
        "SELECT status, started_at, ended_at, failure_reason, global_step, max_steps, last_loss, "
        "last_eval_loss, config, '' FROM runs");
    return out;
}

std::string ingested_once(const std::string& text, std::size_t batch) {
    auto s = setup("ingest-ref-" + std::to_string(batch));
    append_line(s.events, text);
    auto reg = Registry::open({s.db_path});
    ingest_events(reg, "r1", s.events, {batch});
    return snapshot(reg);
}

TEST(Ingest, BestEvalLossIsTheLowestEvenWhenItRisesAgain) {
    auto s = setup("ingest-best-eval");
    append_line(s.events, event_line(1, "run_started",
                                     {{"config", {{"model", "tiny"}}},
                                      {"max_steps", 30},
                                      {"world_size", 1},
                                      {"resumed_from", nullptr}}) +
                              event_line(2, "eval", {{"eval_loss", 3.0}, {"step", 10}}) +
                              event_line(3, "eval", {{"eval_loss", 2.0}, {"step", 20}}));
    auto reg = Registry::open({s.db_path});
    ingest_events(reg, "r1", s.events);
    // A later pass, after the loss rose again: the best is kept across passes.
    append_line(s.events, event_line(4, "eval", {{"eval_loss", 2.5}, {"step", 30}}));
    ingest_events(reg, "r1", s.events);
    EXPECT_DOUBLE_EQ(*reg.get_run("r1").last_eval_loss, 2.5);
    EXPECT_DOUBLE_EQ(*reg.get_run("r1").best_eval_loss, 2.0);
    EXPECT_DOUBLE_EQ(*reg.list_runs().front().best_eval_loss, 2.0);
    // Importers add points directly: the best follows them too, and other keys leave it alone.
    reg.add_metric_points("r1", "eval_loss", {{10, 40, std::nullopt, 1.0, 1.75}});
    reg.add_metric_points("r1", "loss", {{11, 40, std::nullopt, 1.0, 0.5}});
    EXPECT_DOUBLE_EQ(*reg.get_run("r1").best_eval_loss, 1.75);
}

TEST(Ingest, EveryEventTypeLandsWhereItBelongs) {
    auto s = setup("ingest-all");
    append_line(s.events, full_run_events(30));
    auto reg = Registry::open({s.db_path});
    const IngestResult result = ingest_events(reg, "r1", s.events);
    EXPECT_TRUE(result.errors.empty());
    // 2 + 30 * 2 (log, progress) + 3 * 3 (eval, sample, saved) + 1 deleted + 1 finished.
    EXPECT_EQ(result.events, 2 + 60 + 9 + 1 + 1);
    // 30 logs * 6 points minus the 4 null grad_norms, plus 3 evals * 5 points.
    EXPECT_EQ(result.points, 30 * 6 - 4 + 3 * 5);
    EXPECT_EQ(result.progress.byte_offset, fs::file_size(s.events));
    EXPECT_EQ(result.progress.last_seq, 73);

    const RunRecord run = reg.get_run("r1");
    EXPECT_EQ(run.status, RunStatus::finished);
    EXPECT_EQ(run.failure_reason, "completed");
    EXPECT_EQ(run.started_at, 1700000001.0);
    EXPECT_EQ(run.ended_at, 1700000073.0);
    EXPECT_EQ(run.global_step, 300);
    EXPECT_EQ(run.max_steps, 300);
    EXPECT_DOUBLE_EQ(*run.last_loss, 5.0 - 30 * 0.01);
    EXPECT_DOUBLE_EQ(*run.last_eval_loss, 4.0 - 30 * 0.01);
    EXPECT_EQ(run.config["model"], "tiny");  // taken from run_started: the run had none

    EXPECT_EQ(reg.metric_keys("r1"),
              (std::vector<std::string>{
                  "eval_loss", "eval_perplexity", "eval_runtime", "eval_samples_per_second",
                  "eval_steps_per_second", "grad_norm", "learning_rate", "loss",
                  "num_input_tokens_seen", "step_time_seconds", "tokens_per_second"}));
    const auto loss = reg.metric_series("r1", "loss");
    ASSERT_EQ(loss.size(), 30u);
    EXPECT_EQ(loss[0].step, 10);
    EXPECT_EQ(loss[0].seq, 3);
    EXPECT_DOUBLE_EQ(*loss[0].epoch, 0.01);
    EXPECT_DOUBLE_EQ(loss[0].value, 4.99);
    EXPECT_EQ(reg.metric_series("r1", "grad_norm").size(), 26u);
    EXPECT_EQ(reg.metric_series("r1", "num_input_tokens_seen").back().value, 30 * 2048);
    EXPECT_EQ(reg.metric_series("r1", "eval_loss").size(), 3u);

    const auto checkpoints = reg.checkpoints("r1");
    ASSERT_EQ(checkpoints.size(), 3u);
    EXPECT_EQ(checkpoints[0].path, "/runs/r1/checkpoint-100");
    EXPECT_TRUE(checkpoints[0].best);
    EXPECT_FALSE(checkpoints[0].present);
    EXPECT_TRUE(checkpoints[0].deleted_at);
    EXPECT_EQ(checkpoints[0].host, "box");
    EXPECT_EQ(checkpoints[0].bytes, 1010);
    EXPECT_DOUBLE_EQ(checkpoints[0].metrics["eval_loss"].get<double>(), 3.9);
    EXPECT_TRUE(checkpoints[2].present);
    EXPECT_FALSE(checkpoints[2].best);

    const auto samples = reg.samples("r1");
    ASSERT_EQ(samples.size(), 3u);
    EXPECT_EQ(samples[0].step, 100);
    EXPECT_EQ(samples[0].prompt, "Q:");
    EXPECT_EQ(samples[0].text, "Q: a\xc3\xa9 10");
}

TEST(Ingest, StoppedAndFailedRunsKeepTheirReason) {
    auto s = setup("ingest-failed");
    append_line(s.events, event_line(1, "run_started", {{"max_steps", 10}}));
    append_line(s.events, event_line(2, "run_failed",
                                     {{"reason", "non_finite_loss"},
                                      {"message", "loss became nan at step 4"}}));
    auto reg = Registry::open({s.db_path});
    ingest_events(reg, "r1", s.events);
    EXPECT_EQ(reg.get_run("r1").status, RunStatus::failed);
    EXPECT_EQ(reg.get_run("r1").failure_reason, "non_finite_loss: loss became nan at step 4");

    // Resumed: a new run_started, then stopped by the user.
    append_line(s.events, event_line(3, "run_started", {{"max_steps", 10}}));
    ingest_events(reg, "r1", s.events);
    EXPECT_EQ(reg.get_run("r1").status, RunStatus::running);
    EXPECT_FALSE(reg.get_run("r1").ended_at);
    append_line(s.events, event_line(4, "run_finished", {{"reason", "stopped"}}));
    ingest_events(reg, "r1", s.events);
    EXPECT_EQ(reg.get_run("r1").status, RunStatus::stopped);
    EXPECT_EQ(reg.get_run("r1").failure_reason, "stopped");
    EXPECT_EQ(reg.get_run("r1").started_at, 1700000001.0);  // the first start
}

TEST(Ingest, PartialLastLineWaitsUntilComplete) {
    auto s = setup("ingest-partial");
    const std::string log = event_line(2, "log", {{"loss", 1.0}, {"step", 1}});
    append_line(s.events, event_line(1, "run_started", nullptr) + log.substr(0, 10));
    auto reg = Registry::open({s.db_path});
    auto first = ingest_events(reg, "r1", s.events);
    EXPECT_EQ(first.events, 1);
    EXPECT_EQ(first.progress.last_seq, 1);
    EXPECT_TRUE(reg.metric_series("r1", "loss").empty());
    append_line(s.events, log.substr(10));
    auto second = ingest_events(reg, "r1", s.events);
    EXPECT_EQ(second.events, 1);
    EXPECT_EQ(reg.metric_series("r1", "loss").size(), 1u);
    EXPECT_EQ(second.progress.next_line, 3);
}

TEST(Ingest, DoubleIngestAndResetOffsetAddNothing) {
    auto s = setup("ingest-double");
    append_line(s.events, full_run_events(20));
    auto reg = Registry::open({s.db_path});
    ingest_events(reg, "r1", s.events);
    const std::string before = snapshot(reg);
    const auto again = ingest_events(reg, "r1", s.events);
    EXPECT_EQ(again.events, 0);
    EXPECT_EQ(again.points, 0);
    // Even a full re-read (offset and last_seq forgotten) writes no duplicate rows.
    reg.database().exec("UPDATE ingestion SET byte_offset = 0, next_line = 1, last_seq = 0");
    ingest_events(reg, "r1", s.events);
    EXPECT_EQ(snapshot(reg), before);
}

TEST(Ingest, SmallBatchesEqualOneBigBatch) {
    const std::string text = full_run_events(40);
    const std::string big = ingested_once(text, 1000000);
    EXPECT_EQ(ingested_once(text, 1), big);
    EXPECT_EQ(ingested_once(text, 7), big);
}

TEST(Ingest, NonEventLinesAreReportedWithLineAndSkipped) {
    auto s = setup("ingest-garbage");
    append_line(s.events, event_line(1, "run_started", nullptr));
    append_line(s.events, "this is not json\n");
    append_line(s.events, "{\"no\":\"seq\"}\n");
    append_line(s.events, event_line(2, "log", {{"loss", 2.0}, {"step", 5}}));
    append_line(s.events, event_line(3, "checkpoint_saved", {{"step", 5}}));  // no path
    append_line(s.events, event_line(4, "log", {{"loss", 1.0}, {"step", 6}}));
    auto reg = Registry::open({s.db_path});
    const auto result = ingest_events(reg, "r1", s.events, {2});
    ASSERT_EQ(result.errors.size(), 3u);
    EXPECT_EQ(result.errors[0].rfind(s.events + ":2 (byte ", 0), 0u) << result.errors[0];
    EXPECT_NE(result.errors[0].find("not JSON"), std::string::npos);
    EXPECT_EQ(result.errors[1].rfind(s.events + ":3 ", 0), 0u) << result.errors[1];
    EXPECT_NE(result.errors[2].find("seq 3 (checkpoint_saved): field \"path\""), std::string::npos)
        << result.errors[2];
    EXPECT_EQ(reg.metric_series("r1", "loss").size(), 2u);
    EXPECT_EQ(result.progress.last_seq, 4);
}

TEST(Ingest, ReplacedShorterFileIsReadAgainWithoutDuplicates) {
    auto s = setup("ingest-replaced");
    append_line(s.events, full_run_events(20));
    auto reg = Registry::open({s.db_path});
    ingest_events(reg, "r1", s.events);
    const std::string full = snapshot(reg);
    // Replaced by a copy holding a prefix with the same events (a partial rsync).
    const std::string text = full_run_events(20);
    std::ofstream(s.events, std::ios::binary | std::ios::trunc) << text.substr(0, 2000);
    const auto result = ingest_events(reg, "r1", s.events);
    ASSERT_FALSE(result.errors.empty());
    EXPECT_NE(result.errors[0].find("replaced"), std::string::npos);
    EXPECT_EQ(result.events, 0);
    EXPECT_LT(result.progress.byte_offset, 2000u);
    EXPECT_EQ(snapshot(reg), full);
    // The file grows back: the rest is skipped by seq, then new events are taken.
    std::ofstream(s.events, std::ios::binary | std::ios::trunc) << text;
    append_line(s.events, event_line(999, "log", {{"loss", 0.5}, {"step", 999}}));
    const auto more = ingest_events(reg, "r1", s.events);
    EXPECT_EQ(more.events, 1);
    EXPECT_EQ(reg.metric_series("r1", "loss").size(), 21u);
}

TEST(Ingest, UnknownRunAndMissingFileAreErrors) {
    auto s = setup("ingest-errors");
    auto reg = Registry::open({s.db_path});
    EXPECT_THROW(ingest_events(reg, "nope", s.events), Error);
    try {
        ingest_events(reg, "r1", s.events);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(s.events), std::string::npos);
    }
}

TEST(Ingest, KilledMidwayLeavesAPrefixAndARerunCompletesIt) {
    const std::string text = full_run_events(300);
    const std::string expected = ingested_once(text, 100000);
    std::mt19937 rng(1234);
    int interrupted = 0;
    for (int round = 0; round < 10; ++round) {
        auto s = setup("ingest-kill-" + std::to_string(round));
        append_line(s.events, text);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            try {
                auto reg = Registry::open({s.db_path});
                ingest_events(reg, "r1", s.events, {1});
            } catch (...) {
                ::_exit(2);
            }
            ::_exit(0);
        }
        const int delay_us = std::uniform_int_distribution<int>(1000, 60000)(rng);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);

        auto reg = Registry::open({s.db_path});
        // What survived is a prefix: every event up to last_seq, nothing after it.
        const IngestionProgress progress = reg.ingestion_progress("r1");
        const auto prefix = events::read_events(s.events, 0, SIZE_MAX).events;
        std::int64_t expected_points = 0;
        for (const auto& e : prefix) {
            if (e["seq"].get<std::int64_t>() > progress.last_seq)
                break;
            if (e["type"] == "log" || e["type"] == "eval") {
                for (const auto& [k, v] : e.items())
                    expected_points +=
                        v.is_number() && k != "seq" && k != "time" && k != "step" && k != "epoch";
            }
        }
        EXPECT_EQ(reg.database().query_int64("SELECT coalesce(sum(count), 0) FROM metric_chunks"),
                  expected_points)
            << "round " << round << " killed after " << delay_us << " us at seq "
            << progress.last_seq;
        interrupted += progress.byte_offset < text.size();
        ingest_events(reg, "r1", s.events);
        EXPECT_EQ(snapshot(reg), expected) << "round " << round;
    }
    EXPECT_GT(interrupted, 0) << "no kill landed mid-ingestion: the delays need adjusting";
}

TEST(IngestLock, OneHolderAcrossProcessesAndReleasedOnDeath) {
    const auto path = (tests::temp_dir("ingest-lock") / "registry.sqlite3").string();
    EXPECT_FALSE(IngestLock::holder_pid(path));
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto lock = IngestLock::try_acquire(path);
        const char ok = lock ? '1' : '0';
        (void)!::write(ready[1], &ok, 1);
        ::pause();  // hold it until killed
        ::_exit(0);
    }
    char ok = 0;
    ASSERT_EQ(::read(ready[0], &ok, 1), 1);
    EXPECT_EQ(ok, '1');
    EXPECT_FALSE(IngestLock::try_acquire(path));
    EXPECT_EQ(IngestLock::holder_pid(path), child);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);

    auto mine = IngestLock::try_acquire(path);
    ASSERT_TRUE(mine);
    EXPECT_EQ(IngestLock::holder_pid(path), ::getpid());
    EXPECT_FALSE(IngestLock::try_acquire(path));  // also exclusive within one process
    mine.reset();
    EXPECT_FALSE(IngestLock::holder_pid(path));
    EXPECT_TRUE(IngestLock::try_acquire(path));
}

}  // namespace
}  // namespace lathe::core::registry
