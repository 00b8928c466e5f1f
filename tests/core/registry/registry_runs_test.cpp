#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/registry/registry.h"
#include "core/util/error.h"
#include "tests/core/registry/registry_test_support.h"
#include "tests/test_support.h"

namespace lathe::core::registry {
namespace {
using testing::make_run;

RunUpdate status_only(RunStatus status) {
    RunUpdate update;
    update.status = status;
    return update;
}

Registry fresh(const std::string& name) {
    return Registry::open({(tests::temp_dir(name) / "registry.sqlite3").string()});
}

TEST(RegistryRuns, InsertFindGetAndDuplicate) {
    auto reg = fresh("runs-crud");
    RunRecord run = make_run("r1", 10.0, RunStatus::running);
    run.host = "gpu1";
    run.kind = "imported";
    run.started_at = 11.0;
    run.pid = 4242;
    run.parent_run_id = "r0";
    run.parent_checkpoint = "/runs/r0/checkpoint-100";
    run.fork_diff = {{"learning_rate", {0.001, 0.0005}}};
    run.tags = {"b", "a"};
    run.notes = "first try";
    run.max_steps = 300;
    reg.insert_run(run);

    const RunRecord got = reg.get_run("r1");
    EXPECT_EQ(got.name, "name of r1");
    EXPECT_EQ(got.status, RunStatus::running);
    EXPECT_EQ(got.target, "local");
    EXPECT_EQ(got.host, "gpu1");
    EXPECT_EQ(got.config, run.config);
    EXPECT_EQ(got.kind, "imported");
    EXPECT_EQ(got.started_at, 11.0);
    EXPECT_FALSE(got.ended_at);
    EXPECT_EQ(got.pid, 4242);
    EXPECT_EQ(got.parent_run_id, "r0");
    EXPECT_EQ(got.parent_checkpoint, "/runs/r0/checkpoint-100");
    EXPECT_EQ(got.fork_diff, run.fork_diff);
    EXPECT_EQ(got.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(got.notes, "first try");
    EXPECT_EQ(got.max_steps, 300);
    EXPECT_FALSE(got.queue_position);

    EXPECT_FALSE(reg.find_run("nope"));
    try {
        reg.get_run("nope");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "no run 'nope' in " + reg.path());
    }
    EXPECT_THROW(reg.insert_run(run), Error);
}

TEST(RegistryRuns, UpdateStatusNotesTagsAndRemoveCascades) {
    auto reg = fresh("runs-update");
    reg.insert_run(make_run("r1", 1.0, RunStatus::starting));
    RunUpdate update;
    update.status = RunStatus::failed;
    update.ended_at = 20.0;
    update.exit_code = 137;
    update.failure_reason = "killed";
    update.pid = 99;
    reg.update_run("r1", update);
    RunRecord run = reg.get_run("r1");
    EXPECT_EQ(run.status, RunStatus::failed);
    EXPECT_EQ(run.ended_at, 20.0);
    EXPECT_EQ(run.exit_code, 137);
    EXPECT_EQ(run.failure_reason, "killed");
    EXPECT_EQ(run.pid, 99);
    EXPECT_EQ(run.name, "name of r1");  // untouched

    reg.set_notes("r1", "OOM at step 4");
    reg.add_tag("r1", "oom");
    reg.add_tag("r1", "oom");
    reg.add_tag("r1", "big");
    reg.remove_tag("r1", "big");
    EXPECT_EQ(reg.get_run("r1").notes, "OOM at step 4");
    EXPECT_EQ(reg.get_run("r1").tags, std::vector<std::string>{"oom"});
    EXPECT_THROW(reg.add_tag("r1", ""), Error);
    EXPECT_THROW(reg.set_notes("nope", "x"), Error);

    reg.add_metric_points("r1", "loss", {{1, 1, 0.1, 5.0, 2.0}, {2, 2, std::nullopt, 6.0, 1.5}});
    reg.upsert_checkpoint("r1", {2, "/c/checkpoint-2", "h", 10, {}, false, true, 7.0, {}});
    reg.remove_run("r1");
    EXPECT_FALSE(reg.find_run("r1"));
    EXPECT_EQ(reg.database().query_int64("SELECT count(*) FROM metric_chunks"), 0);
    EXPECT_EQ(reg.database().query_int64("SELECT count(*) FROM checkpoints"), 0);
    EXPECT_EQ(reg.database().query_int64("SELECT count(*) FROM tags"), 0);
    EXPECT_EQ(reg.database().query_int64("SELECT count(*) FROM ingestion"), 0);
    EXPECT_THROW(reg.remove_run("r1"), Error);
}

TEST(RegistryRuns, MetricPointsAreIdempotentAndOrderedByStep) {
    auto reg = fresh("runs-metrics");
    reg.insert_run(make_run("r1"));
    // A run resumed from step 10 repeats step 20 at a later seq.
    reg.add_metric_points("r1", "loss", {{1, 10, {}, 1, 3.0}, {2, 20, {}, 2, 2.0}});
    reg.add_metric_points("r1", "loss", {{3, 20, {}, 3, 2.1}, {2, 20, {}, 2, 99.0}});
    reg.add_metric_points("r1", "lr", {{1, 10, {}, 1, 0.1}});
    const auto series = reg.metric_series("r1", "loss");
    ASSERT_EQ(series.size(), 3u);
    EXPECT_EQ(series[1].value, 2.0);  // the duplicate (run, key, seq) kept the first value
    EXPECT_EQ(series[2].seq, 3);
    EXPECT_EQ(reg.metric_keys("r1"), (std::vector<std::string>{"loss", "lr"}));
    EXPECT_TRUE(reg.metric_series("r1", "unknown").empty());
}

// What a live view polls: the points after a seq, across chunk boundaries (512 points a chunk),
// equal to the tail of the whole series.
TEST(RegistryRuns, MetricSeriesAfterASeqIsTheTailOfTheWholeSeries) {
    auto reg = fresh("runs-metrics-since");
    reg.insert_run(make_run("r1"));
    for (std::int64_t batch = 0; batch < 7; ++batch) {
        std::vector<MetricPoint> points;
        for (std::int64_t i = 1; i <= 300; ++i) {
            const std::int64_t seq = batch * 300 + i;
            points.push_back(
                {seq, seq, {}, static_cast<double>(seq), 1.0 / static_cast<double>(seq)});
        }
        reg.add_metric_points("r1", "loss", points);
    }
    const auto all = reg.metric_series("r1", "loss");
    ASSERT_EQ(all.size(), 2100u);
    for (const std::int64_t after : {0, 1, 299, 300, 511, 512, 513, 1024, 1500, 2099, 2100, 5000}) {
        const auto tail = reg.metric_series("r1", "loss", after);
        std::vector<std::int64_t> expected, got;
        for (const auto& p : all)
            if (p.seq > after)
                expected.push_back(p.seq);
        for (const auto& p : tail)
            got.push_back(p.seq);
        EXPECT_EQ(got, expected) << "after " << after;
    }
}

TEST(RegistryRuns, CheckpointsKeepOneBestAndRememberDeletion) {
    auto reg = fresh("runs-checkpoints");
    reg.insert_run(make_run("r1"));
    reg.upsert_checkpoint("r1", {100, "/c/checkpoint-100", "", 1, {}, true, true, 1.0, {}});
    reg.upsert_checkpoint("r1", {200, "/c/checkpoint-200", "", 2, {}, true, true, 2.0, {}});
    reg.mark_checkpoint_deleted("r1", "/c/checkpoint-100", 3.0);
    auto list = reg.checkpoints("r1");
    ASSERT_EQ(list.size(), 2u);
    EXPECT_FALSE(list[0].best);
    EXPECT_FALSE(list[0].present);
    EXPECT_EQ(list[0].deleted_at, 3.0);
    EXPECT_TRUE(list[1].best);
    EXPECT_TRUE(list[1].present);
}

TEST(RegistryQueue, PositionsMoveAndClaimRespectsRunningRun) {
    auto reg = fresh("queue");
    for (int i = 1; i <= 3; ++i)
        reg.insert_run(make_run("q" + std::to_string(i), i, RunStatus::queued));
    RunRecord remote = make_run("other", 4, RunStatus::queued);
    remote.target = "cluster";
    reg.insert_run(remote);
    auto ids = [&] {
        std::vector<std::string> out;
        for (const auto& r : reg.queued_runs("local"))
            out.push_back(r.id + "@" + std::to_string(r.queue_position.value_or(0)));
        return out;
    };
    EXPECT_EQ(ids(), (std::vector<std::string>{"q1@1", "q2@2", "q3@3"}));
    reg.move_in_queue("q3", 1);
    EXPECT_EQ(ids(), (std::vector<std::string>{"q3@1", "q1@2", "q2@3"}));
    EXPECT_THROW(reg.move_in_queue("q3", 4), Error);
    // Each target has its own queue.
    EXPECT_NO_THROW(reg.move_in_queue("other", 1));
    EXPECT_THROW(reg.move_in_queue("other", 2), Error);
}

TEST(RegistryQueue, ClaimTakesTheHeadOnlyWhenTargetIsIdle) {
    auto reg = fresh("queue-claim");
    reg.insert_run(make_run("q1", 1, RunStatus::queued));
    reg.insert_run(make_run("q2", 2, RunStatus::queued));
    EXPECT_EQ(reg.claim_next_queued("local"), "q1");
    EXPECT_EQ(reg.get_run("q1").status, RunStatus::starting);
    EXPECT_FALSE(reg.get_run("q1").queue_position);
    EXPECT_EQ(reg.get_run("q2").queue_position, 1);
    EXPECT_FALSE(reg.claim_next_queued("local"));  // q1 is starting
    reg.update_run("q1", status_only(RunStatus::finished));
    EXPECT_EQ(reg.claim_next_queued("local"), "q2");
    reg.update_run("q2", status_only(RunStatus::stopped));
    EXPECT_FALSE(reg.claim_next_queued("local"));  // empty
    // Requeueing puts a run at the end.
    reg.update_run("q1", status_only(RunStatus::queued));
    EXPECT_EQ(reg.get_run("q1").queue_position, 1);
}

TEST(RegistryQueue, TwoConnectionsRacingClaimNeverBothWin) {
    const auto path = (tests::temp_dir("queue-race") / "registry.sqlite3").string();
    auto main = Registry::open({path});
    auto a = Registry::open({path});
    auto b = Registry::open({path});
    for (int round = 0; round < 100; ++round) {
        const std::string r = std::to_string(round);
        main.insert_run(make_run("x" + r, round, RunStatus::queued));
        main.insert_run(make_run("y" + r, round + 0.5, RunStatus::queued));
        std::atomic<int> ready{0};
        std::optional<std::string> got_a, got_b;
        auto racer = [&](Registry& reg, std::optional<std::string>& got) {
            ready.fetch_add(1);
            while (ready.load() < 2) {
            }
            got = reg.claim_next_queued("local");
        };
        std::thread ta(racer, std::ref(a), std::ref(got_a));
        std::thread tb(racer, std::ref(b), std::ref(got_b));
        ta.join();
        tb.join();
        ASSERT_NE(got_a.has_value(), got_b.has_value()) << "round " << round;
        const std::string claimed = got_a ? *got_a : *got_b;
        EXPECT_EQ(claimed, "x" + r);
        // Finish it and drop the other, so that the next round starts idle and empty.
        main.update_run(claimed, status_only(RunStatus::finished));
        main.remove_run("y" + r);
    }
}

TEST(RegistryRuns, ListsTenThousandRunsNewestFirstWithFilterAndLimit) {
    auto reg = fresh("runs-list");
    {
        sqlite::Transaction tx(reg.database());
        for (int i = 0; i < 10000; ++i) {
            RunRecord run = make_run("run-" + std::to_string(i), 1000.0 + i,
                                     i % 3 == 0 ? RunStatus::failed : RunStatus::finished);
            if (i % 100 == 0)
                run.tags = {"hundred"};
            reg.insert_run(run);
        }
        tx.commit();
    }
    const auto all = reg.list_runs();
    ASSERT_EQ(all.size(), 10000u);
    EXPECT_EQ(all.front().id, "run-9999");
    EXPECT_EQ(all.back().id, "run-0");
    EXPECT_TRUE(all.front().config.is_null());  // listings skip run.json unless asked
    EXPECT_EQ(all.back().tags, std::vector<std::string>{"hundred"});
    for (std::size_t i = 1; i < all.size(); ++i)
        ASSERT_GT(all[i - 1].created_at, all[i].created_at);
    RunFilter failed;
    failed.status = RunStatus::failed;
    failed.limit = 5;
    failed.include_config = true;
    const auto some = reg.list_runs(failed);
    ASSERT_EQ(some.size(), 5u);
    EXPECT_EQ(some[0].id, "run-9999");
    EXPECT_EQ(some[1].id, "run-9996");
    EXPECT_FALSE(some[0].config.is_null());
    failed.limit.reset();
    EXPECT_EQ(reg.list_runs(failed).size(), 3334u);
}

}  // namespace
}  // namespace lathe::core::registry
