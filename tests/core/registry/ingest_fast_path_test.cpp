// The fast paths of ingestion against what they replace: the flat-line parser against
// nlohmann::json, the batch reader against events::read_events, chunked points against a plain
// map of (seq -> point) with INSERT OR IGNORE semantics.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/registry/event_batch.h"
#include "core/registry/flat_event.h"
#include "core/registry/registry.h"
#include "tests/core/registry/registry_test_support.h"
#include "tests/test_support.h"

namespace lathe::core::registry {
namespace {
using nlohmann::json;
using testing::append_line;
using testing::make_run;

// Lines the flat parser must read exactly as nlohmann::json does, or decline.
const std::vector<std::string>& tricky_lines() {
    static const std::vector<std::string> lines = {
        R"({"seq":1,"type":"log","loss":2.5,"step":3,"epoch":0.1,"time":1795466191.988003})",
        R"( { "seq" : 2 , "type" : "eval" , "eval_loss" : 1e-3 , "step" : -0 } )"
        "\r",
        R"({"type":"log","seq":3,"a":1E+2,"b":-12.5e-7,"c":123456789012345678,"step":1})",
        R"({"seq":4,"type":"log","x":1234567890123456789,"step":1})",   // 19 digits
        R"({"seq":5,"type":"log","x":99999999999999999999,"step":1})",  // beyond uint64
        R"({"seq":6,"type":"log","x":1e400,"step":1})",                 // overflow: DOM's
        R"({"seq":7,"type":"log","x":01,"step":1})",
        R"({"seq":8,"type":"log","x":1.,"step":1})",
        R"({"seq":9,"type":"log","x":.5,"step":1})",
        R"({"seq":10,"type":"log","x":+1,"step":1})",
        R"({"seq":11,"type":"log","x":1e,"step":1})",
        R"({"seq":12,"type":"log","x":1,"x":2,"step":1})",
        R"({"seq":13,"type":"log","x":1,"x":null,"step":1})",
        R"({"seq":14,"type":"log","type":"eval","step":1})",
        R"({"seq":15,"type":"l\u006fg","step":1})",
        R"({"seq":16,"type":"log","caf\u00e9":1,"step":1})",
        "{\"seq\":17,\"type\":\"log\",\"caf\xc3\xa9\":1,\"step\":1}",
        "{\"seq\":18,\"type\":\"log\",\"bad\xff\":1,\"step\":1}",
        R"({"seq":19,"type":"log","nested":{"a":1},"step":1})",
        R"({"seq":20,"type":"log","list":[1,2],"step":1})",
        R"({"seq":21,"type":"log","ok":true,"no":false,"n":null,"s":"text","step":1})",
        R"({"seq":22,"type":"log","step":1,})",
        R"({"seq":23,"type":"log","step":1} x)",
        R"({"seq":24,"type":"log","step":1)",
        R"({"seq":2.5,"type":"log","step":1})",
        R"({"seq":"26","type":"log","step":1})",
        R"({"seq":27,"type":7,"step":1})",
        R"({"seq":28})",
        R"({})",
        R"([1,2])",
        R"({"seq":-5,"type":"progress","step":2.9,"max_steps":10})",
        R"({"seq":30,"type":"log","truex":1,"v":tru,"step":1})",
        R"({"seq":31,"type":"log","v":nul,"step":1})",
        "{\"seq\":32,\"type\":\"log\",\"tab\tkey\":1,\"step\":1}",
    };
    return lines;
}

TEST(FlatEvent, AcceptsOnlyWhatTheDomReadsTheSameWay) {
    FlatEvent flat;
    int accepted = 0;
    for (const std::string& line : tricky_lines()) {
        SCOPED_TRACE(line);
        if (!parse_flat_event(line, flat))
            continue;
        ++accepted;
        const json dom = json::parse(line);  // must not throw: the line was accepted
        ASSERT_TRUE(events::is_event(dom));
        EXPECT_EQ(flat.seq, dom["seq"].get<std::int64_t>());
        EXPECT_EQ(flat.type, dom["type"].get<std::string>());
        std::vector<std::pair<std::string, json>> numbers;
        for (const auto& [key, value] : dom.items()) {
            if (value.is_number())
                numbers.emplace_back(key, value);
        }
        ASSERT_EQ(flat.numbers.size(), numbers.size());
        for (std::size_t i = 0; i < numbers.size(); ++i) {
            EXPECT_EQ(flat.numbers[i].key, numbers[i].first);
            EXPECT_EQ(flat.numbers[i].number.is_integer, numbers[i].second.is_number_integer());
            EXPECT_EQ(flat.numbers[i].number.real, numbers[i].second.get<double>());
            if (flat.numbers[i].number.is_integer) {
                EXPECT_EQ(flat.numbers[i].number.integer, numbers[i].second.get<std::int64_t>());
            }
        }
    }
    EXPECT_EQ(accepted, 5);  // seq 1, 2, 3, 21 and -5 (a progress event)
}

TEST(EventBatch, SameLinesOffsetsErrorsAndEventsAsReadEvents) {
    const auto path = (tests::temp_dir("batch-vs-reader") / "events.jsonl").string();
    std::string text;
    for (const std::string& line : tricky_lines()) {
        // nlohmann throws out_of_range for 1e400 out of read_events (not a parse_error); it has
        // its own check below.
        if (line.find("1e400") == std::string::npos)
            text += line + "\n";
    }
    text += "\n   \n";  // blank lines
    text += R"({"seq":40,"type":"run_started","config":{"a":1}})"
            "\n";
    text += R"({"seq":41,"type":"log","loss":1.5,"step":2})";  // partial: no "\n" yet
    append_line(path, text);

    for (std::size_t max : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
        std::uint64_t offset = 0;
        std::int64_t line = 1;
        for (int round = 0; round < 100; ++round) {
            SCOPED_TRACE("max " + std::to_string(max) + ", round " + std::to_string(round));
            const events::ReadResult expected = events::read_events(path, offset, max, line);
            EventBatch batch;
            read_event_batch(path, offset, max, line, batch);
            EXPECT_EQ(batch.errors, expected.errors);
            EXPECT_EQ(batch.next_offset, expected.next_offset);
            EXPECT_EQ(batch.next_line, expected.next_line);
            ASSERT_EQ(batch.events.size(), expected.events.size());
            for (std::size_t i = 0; i < batch.events.size(); ++i)
                EXPECT_EQ(batch.events[i].seq, expected.events[i]["seq"].get<std::int64_t>());
            if (batch.next_offset == offset)
                break;
            offset = batch.next_offset;
            line = batch.next_line;
        }
    }
    // An overflowing number fails both readers the same way.
    const auto overflow = (tests::temp_dir("batch-vs-reader") / "overflow.jsonl").string();
    append_line(overflow, R"({"seq":1,"type":"log","x":1e400,"step":1})"
                          "\n");
    std::string expected_what, batch_what;
    try {
        events::read_events(overflow, 0);
    } catch (const std::exception& e) {
        expected_what = e.what();
    }
    try {
        EventBatch batch;
        read_event_batch(overflow, 0, 10, 1, batch);
    } catch (const std::exception& e) {
        batch_what = e.what();
    }
    EXPECT_EQ(batch_what, expected_what);
}

TEST(MetricChunks, PointsMergeAtAnySeqLikeInsertOrIgnore) {
    auto reg = Registry::open({(tests::temp_dir("chunks-merge") / "registry.sqlite3").string()});
    reg.insert_run(make_run("r1"));
    reg.insert_run(make_run("r2"));
    std::map<std::int64_t, MetricPoint> model;  // seq -> the point that must be kept
    std::mt19937 rng(42);
    auto point = [&](std::int64_t seq) {
        MetricPoint p{seq, seq / 2, std::nullopt, 1.0 * seq, static_cast<double>(rng())};
        if (rng() % 3)
            p.epoch = seq * 0.001;
        return p;
    };
    // Appends in batches (as ingestion), then imports at random seqs, in and between chunks,
    // with repeats inside a call (the first wins) and points already stored (kept).
    for (std::int64_t seq = 1; seq <= 3000; seq += 300) {
        std::vector<MetricPoint> batch;
        for (std::int64_t s = seq; s < seq + 300; s += 2)
            batch.push_back(point(s));
        for (const auto& p : batch)
            model.emplace(p.seq, p);
        reg.add_metric_points("r1", "loss", batch);
    }
    for (int round = 0; round < 20; ++round) {
        std::vector<MetricPoint> batch;
        for (int i = 0; i < 200; ++i)
            batch.push_back(point(static_cast<std::int64_t>(rng() % 4000)));
        for (const auto& p : batch)
            model.emplace(p.seq, p);
        reg.add_metric_points("r1", "loss", batch);
    }
    reg.add_metric_points("r2", "loss", {point(7)});
    std::vector<MetricPoint> series = reg.metric_series("r1", "loss");
    std::stable_sort(series.begin(), series.end(),
                     [](const MetricPoint& a, const MetricPoint& b) { return a.seq < b.seq; });
    ASSERT_EQ(series.size(), model.size());
    auto it = model.begin();
    for (const MetricPoint& p : series) {
        const MetricPoint& want = (it++)->second;
        ASSERT_EQ(p.seq, want.seq);
        EXPECT_EQ(p.step, want.step);
        EXPECT_EQ(p.epoch, want.epoch);
        EXPECT_EQ(p.time, want.time);
        EXPECT_EQ(p.value, want.value);
    }
    EXPECT_EQ(reg.metric_series("r2", "loss").size(), 1u);
    // The chunks' ranges stay disjoint and each is within its size.
    auto chunks = reg.database().prepare(
        "SELECT first_seq, last_seq, count FROM metric_chunks WHERE run = (SELECT run_pk FROM "
        "runs WHERE id = 'r1') ORDER BY first_seq");
    std::int64_t previous_last = -1;
    while (chunks.step()) {
        EXPECT_GT(chunks.int64(0), previous_last);
        EXPECT_LE(chunks.int64(0), chunks.int64(1));
        EXPECT_GE(chunks.int64(2), 1);
        EXPECT_LE(chunks.int64(2), 512);
        previous_last = chunks.int64(1);
    }
}

}  // namespace
}  // namespace lathe::core::registry
