// EventWriter: the writing half of the events.jsonl contract (docs/events.md).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/events/event_writer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::events {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> lines_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::string bytes_of(const fs::path& path) {
    return util::read_file(path.string());
}

void append_raw(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << bytes;
}

double now_seconds() {
    using namespace std::chrono;
    return static_cast<double>(
               duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) /
           1e3;
}

TEST(EventLog, SeqStartsAtOneAndEveryLineHasTheEnvelope) {
    const auto path = tests::temp_dir("events-envelope") / "events.jsonl";
    const double before = now_seconds();
    {
        EventWriter writer(path.string(), "run-a");
        EXPECT_EQ(writer.last_seq(), 0);
        EXPECT_EQ(writer.write("run_started", {{"device", "cpu"}}), 1);
        EXPECT_EQ(writer.write("log", {{"loss", 2.5}, {"step", 1}}), 2);
        EXPECT_EQ(writer.write("progress", nullptr), 3);
        EXPECT_EQ(writer.last_seq(), 3);
        EXPECT_EQ(writer.path(), path.string());
    }
    const double after = now_seconds();

    const auto text = bytes_of(path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 3u);
    const std::vector<std::string> types = {"run_started", "log", "progress"};
    for (std::size_t i = 0; i < lines.size(); ++i) {
        // The envelope comes first so that a person reading the file sees seq and type at once.
        EXPECT_EQ(lines[i].rfind("{\"seq\":" + std::to_string(i + 1) + ",\"time\":", 0), 0u)
            << lines[i];
        const json j = json::parse(lines[i]);
        ASSERT_TRUE(j.is_object());
        ASSERT_TRUE(j["seq"].is_number_integer());
        EXPECT_EQ(j["seq"].get<std::int64_t>(), static_cast<std::int64_t>(i + 1));
        ASSERT_TRUE(j["time"].is_number());
        EXPECT_GE(j["time"].get<double>(), before - 1.0);
        EXPECT_LE(j["time"].get<double>(), after + 1.0);
        EXPECT_EQ(j["run_id"], "run-a");
        EXPECT_EQ(j["type"], types[i]);
    }
    const json log = json::parse(lines[1]);
    EXPECT_EQ(log["loss"], 2.5);
    EXPECT_EQ(log["step"], 1);
    EXPECT_EQ(json::parse(lines[2]).size(), 4u);  // null fields: only the envelope
}

TEST(EventLog, TimeIsNonDecreasingUnixSeconds) {
    const auto path = tests::temp_dir("events-time") / "events.jsonl";
    EventWriter writer(path.string(), "r");
    for (int i = 0; i < 20; ++i)
        writer.write("progress", {{"step", i}});
    double last = 0.0;
    for (const auto& line : lines_of(path)) {
        const double t = json::parse(line)["time"].get<double>();
        EXPECT_GT(t, 1.5e9);  // seconds, not milliseconds or microseconds
        EXPECT_LT(t, 1.0e11);
        EXPECT_GE(t, last);
        last = t;
    }
}

TEST(EventLog, EnvelopeKeysInFieldsAreReplaced) {
    const auto path = tests::temp_dir("events-envelope-keys") / "events.jsonl";
    EventWriter writer(path.string(), "real-run");
    writer.write(
        "log",
        {{"seq", 99}, {"time", "yesterday"}, {"run_id", "other"}, {"type", "eval"}, {"loss", 1}});
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 1u);
    const json j = json::parse(lines[0]);
    EXPECT_EQ(j["seq"], 1);
    EXPECT_TRUE(j["time"].is_number());
    EXPECT_EQ(j["run_id"], "real-run");
    EXPECT_EQ(j["type"], "log");
    EXPECT_EQ(j["loss"], 1);
    // Each key once: a reader with a strict JSON parser must not see duplicates.
    for (const char* key : {"\"seq\"", "\"time\"", "\"run_id\"", "\"type\""}) {
        EXPECT_EQ(lines[0].find(key, lines[0].find(key) + 1), std::string::npos)
            << key << " twice: " << lines[0];
    }
}

TEST(EventLog, FieldsThatAreNotAnObjectAreRejected) {
    const auto path = tests::temp_dir("events-not-object") / "events.jsonl";
    EventWriter writer(path.string(), "r");
    try {
        writer.write("log", json::array({1, 2}));
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("log"), std::string::npos) << e.what();
    }
    EXPECT_EQ(writer.last_seq(), 0);
    EXPECT_EQ(writer.write("log", {{"ok", true}}), 1);  // no seq was used up
    EXPECT_EQ(lines_of(path).size(), 1u);
}

TEST(EventLog, ReopeningContinuesSeq) {
    const auto path = tests::temp_dir("events-reopen") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        for (int i = 0; i < 5; ++i)
            writer.write("log", {{"i", i}});
    }
    {
        EventWriter writer(path.string(), "r");
        EXPECT_EQ(writer.last_seq(), 5);
        EXPECT_EQ(writer.write("log", {{"i", 5}}), 6);
    }
    {
        EventWriter writer(path.string(), "r");
        EXPECT_EQ(writer.last_seq(), 6);
        EXPECT_EQ(writer.write("run_finished", {{"reason", "completed"}}), 7);
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 7u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        EXPECT_EQ(json::parse(lines[i])["seq"], i + 1);
    }
}

TEST(EventLog, ReopeningALongFileFindsTheLastSeq) {
    // Longer than the writer's 64 KiB backwards-read chunk, so that finding the last line crosses
    // chunk boundaries.
    const auto path = tests::temp_dir("events-long") / "events.jsonl";
    const std::string padding(700, 'x');
    {
        EventWriter writer(path.string(), "r");
        for (int i = 0; i < 300; ++i)
            writer.write("log", {{"padding", padding}});
    }
    ASSERT_GT(fs::file_size(path), 3u * 65536u);
    EventWriter writer(path.string(), "r");
    EXPECT_EQ(writer.last_seq(), 300);
    EXPECT_EQ(writer.write("log", nullptr), 301);
}

TEST(EventLog, PartialLastLineIsCutOnReopen) {
    const auto path = tests::temp_dir("events-partial") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write("log", {{"i", 1}});
        writer.write("log", {{"i", 2}});
    }
    const auto complete = bytes_of(path);
    // A crash in the middle of the third event's write.
    append_raw(path, "{\"seq\":3,\"time\":1.5,\"run_id\":\"r\",\"type\":\"lo");
    {
        EventWriter writer(path.string(), "r");
        EXPECT_EQ(writer.last_seq(), 2);
        EXPECT_EQ(bytes_of(path), complete);  // cut at once, before any write
        EXPECT_EQ(writer.write("log", {{"i", 3}}), 3);
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 3u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const json j = json::parse(lines[i]);  // every line whole
        EXPECT_EQ(j["seq"], i + 1);
        EXPECT_EQ(j["i"], i + 1);
    }
}

TEST(EventLog, PartialLastLineWhoseSeqIsCompleteIsStillCut) {
    // The partial line names seq 3 in full, but it is not an event until its "\n" is written: the
    // next event must take seq 3, not 4.
    const auto path = tests::temp_dir("events-partial-seq") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write("log", nullptr);
        writer.write("log", nullptr);
    }
    append_raw(path, "{\"seq\":3,\"time\":1.0,\"run_id\":\"r\",\"type\":\"log\"}");
    EventWriter writer(path.string(), "r");
    EXPECT_EQ(writer.last_seq(), 2);
    EXPECT_EQ(writer.write("log", nullptr), 3);
    EXPECT_EQ(lines_of(path).size(), 3u);
}

TEST(EventLog, OnlyAPartialLineLeavesAnEmptyFile) {
    const auto path = tests::temp_dir("events-only-partial") / "events.jsonl";
    append_raw(path, "{\"seq\":1,\"ti");
    EventWriter writer(path.string(), "r");
    EXPECT_EQ(writer.last_seq(), 0);
    EXPECT_EQ(fs::file_size(path), 0u);
    EXPECT_EQ(writer.write("run_started", nullptr), 1);
}

TEST(EventLog, DamagedCompleteLinesArePassedOverWhenFindingTheLastSeq) {
    const auto path = tests::temp_dir("events-damaged-tail") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        for (int i = 0; i < 4; ++i)
            writer.write("log", nullptr);
    }
    append_raw(path, "this line was typed by hand\n[1,2,3]\n\n");
    EventWriter writer(path.string(), "r");
    EXPECT_EQ(writer.last_seq(), 4);
    EXPECT_EQ(writer.write("log", nullptr), 5);
    // Earlier lines are never rewritten, damaged or not.
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 8u);
    EXPECT_EQ(lines[4], "this line was typed by hand");
    EXPECT_EQ(json::parse(lines[7])["seq"], 5);
}

TEST(EventLog, CreatesAMissingFileAndFailsWithThePathForAMissingFolder) {
    const auto dir = tests::temp_dir("events-create");
    {
        EventWriter writer((dir / "events.jsonl").string(), "r");
        EXPECT_TRUE(fs::exists(dir / "events.jsonl"));
    }
    const auto missing = (dir / "no-such-folder" / "events.jsonl").string();
    try {
        EventWriter writer(missing, "r");
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
}

TEST(EventLog, TwoThreadsNeverInterleaveLines) {
    const auto path = tests::temp_dir("events-threads") / "events.jsonl";
    constexpr int kPerThread = 500;
    // Long enough lines that an unlocked writer would visibly tear them.
    const std::string payload(300, 'p');
    {
        EventWriter writer(path.string(), "threads");
        auto work = [&](int thread) {
            for (int i = 0; i < kPerThread; ++i) {
                writer.write("log", {{"thread", thread}, {"i", i}, {"payload", payload}});
            }
        };
        std::thread a(work, 0);
        std::thread b(work, 1);
        a.join();
        b.join();
        EXPECT_EQ(writer.last_seq(), 2 * kPerThread);
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(2 * kPerThread));
    std::vector<int> next_i(2, 0);
    for (std::size_t n = 0; n < lines.size(); ++n) {
        json j;
        ASSERT_NO_THROW(j = json::parse(lines[n]))
            << "line " << n + 1 << ": " << lines[n].substr(0, 120);
        EXPECT_EQ(j["seq"], n + 1) << "seqs must be 1..1000 in file order, without gaps";
        EXPECT_EQ(j["payload"], payload);
        const int thread = j["thread"].get<int>();
        ASSERT_TRUE(thread == 0 || thread == 1);
        EXPECT_EQ(j["i"], next_i[static_cast<std::size_t>(thread)])
            << "each thread's events in its order";
        next_i[static_cast<std::size_t>(thread)] += 1;
    }
    EXPECT_EQ(next_i[0], kPerThread);
    EXPECT_EQ(next_i[1], kPerThread);
}

TEST(EventLog, NonFiniteNumbersBecomeNull) {
    const auto path = tests::temp_dir("events-nonfinite") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write(
            "log", {{"loss", std::numeric_limits<double>::quiet_NaN()},
                    {"grad_norm", std::numeric_limits<double>::infinity()},
                    {"nested", {{"values", {1.0, -std::numeric_limits<double>::infinity(), 2.0}}}},
                    {"step", 3}});
        writer.write("log", {{"loss", 1.25}});
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].find("nan"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find("NaN"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find("inf"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find("Infinity"), std::string::npos) << lines[0];
    json j;
    ASSERT_NO_THROW(j = json::parse(lines[0])) << lines[0];
    EXPECT_TRUE(j["loss"].is_null());
    EXPECT_TRUE(j["grad_norm"].is_null());
    EXPECT_EQ(j["nested"]["values"], json::parse("[1.0, null, 2.0]"));
    EXPECT_EQ(j["step"], 3);
    EXPECT_EQ(json::parse(lines[1])["seq"], 2);
}

TEST(EventLog, InvalidUtf8InStringsDoesNotBreakTheLine) {
    const auto path = tests::temp_dir("events-utf8") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r\xff");
        writer.write("sample",
                     {{"text", std::string("ok \xc3\x28 end")}, {std::string("k\xfe"), 1}});
        writer.write("warning", {{"message", "fine"}});
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 2u);
    json j;
    ASSERT_NO_THROW(j = json::parse(lines[0])) << lines[0];
    EXPECT_EQ(j["text"].get<std::string>().rfind("ok ", 0), 0u);
    EXPECT_NE(j["text"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
    EXPECT_EQ(json::parse(lines[1])["seq"], 2);
}

TEST(EventLog, StringsWithNewlinesStayOnOneLine) {
    const auto path = tests::temp_dir("events-newlines") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write("sample", {{"text", "line one\nline two\r\n"}});
        writer.write("log", nullptr);
    }
    const auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(json::parse(lines[0])["text"], "line one\nline two\r\n");
}

TEST(EventLog, SyncKeepsTheFileIntact) {
    const auto path = tests::temp_dir("events-sync") / "events.jsonl";
    EventWriter writer(path.string(), "r");
    writer.write("checkpoint_saved", {{"path", "/x/checkpoint-1"}});  // synced by the writer itself
    writer.sync();
    writer.write("log", nullptr);
    EXPECT_EQ(lines_of(path).size(), 2u);
}

// --- Reading: what a tailing reader (the studio, a remote poller) relies on. ---

// Reads from `offset` in batches of `batch` until nothing new comes back; every event once.
std::vector<json> read_all_in_batches(const std::string& path, std::size_t batch,
                                      std::uint64_t& offset, std::int64_t& line,
                                      std::vector<std::string>* errors = nullptr) {
    std::vector<json> all;
    while (true) {
        auto r = read_events(path, offset, batch, line);
        if (errors)
            errors->insert(errors->end(), r.errors.begin(), r.errors.end());
        EXPECT_LE(r.events.size(), batch);
        offset = r.next_offset;
        line = r.next_line;
        if (r.events.empty())
            break;
        all.insert(all.end(), r.events.begin(), r.events.end());
    }
    return all;
}

TEST(EventTail, StopsBeforeAPartialLastLineAndPicksItUpWhenComplete) {
    const auto path = tests::temp_dir("tail-partial") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write("log", {{"i", 1}});
        writer.write("log", {{"i", 2}});
    }
    const auto complete_size = fs::file_size(path);
    const std::string third =
        "{\"seq\":3,\"time\":1.0,\"run_id\":\"r\",\"type\":\"eval\",\"eval_loss\":2.0}\n";
    const std::size_t cut = third.size() / 2;
    append_raw(path, third.substr(0, cut));

    auto first = read_events(path.string(), 0);
    ASSERT_EQ(first.events.size(), 2u);
    EXPECT_TRUE(first.errors.empty()) << first.errors.front();
    EXPECT_EQ(first.next_offset, complete_size);  // not past the partial line
    EXPECT_EQ(first.next_line, 3);

    // Still partial: nothing, and the offset does not move.
    append_raw(path, third.substr(cut, third.size() - cut - 1));
    auto still = read_events(path.string(), first.next_offset, SIZE_MAX, first.next_line);
    EXPECT_TRUE(still.events.empty());
    EXPECT_TRUE(still.errors.empty());
    EXPECT_EQ(still.next_offset, first.next_offset);

    append_raw(path, "\n");
    auto rest = read_events(path.string(), still.next_offset, SIZE_MAX, still.next_line);
    ASSERT_EQ(rest.events.size(), 1u);
    EXPECT_TRUE(rest.errors.empty());
    EXPECT_EQ(rest.events[0]["seq"], 3);
    EXPECT_EQ(rest.events[0]["eval_loss"], 2.0);
    EXPECT_EQ(rest.next_offset, fs::file_size(path));
    EXPECT_EQ(rest.next_line, 4);
}

TEST(EventTail, BatchesFromASavedOffsetYieldEveryEventOnce) {
    const auto path = tests::temp_dir("tail-batches") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        for (int i = 0; i < 57; ++i)
            writer.write("log", {{"i", i}});
    }
    for (std::size_t batch :
         {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{57}, std::size_t{100}}) {
        // A reader that saved its place after the first 10 events, then resumed in batches.
        auto head = read_events(path.string(), 0, 10);
        ASSERT_EQ(head.events.size(), 10u);
        std::uint64_t offset = head.next_offset;
        std::int64_t line = head.next_line;
        EXPECT_EQ(line, 11);
        std::vector<json> all = head.events;
        auto rest = read_all_in_batches(path.string(), batch, offset, line);
        all.insert(all.end(), rest.begin(), rest.end());
        ASSERT_EQ(all.size(), 57u) << "batch " << batch;
        for (std::size_t i = 0; i < all.size(); ++i) {
            EXPECT_EQ(all[i]["seq"], i + 1) << "batch " << batch;
            EXPECT_EQ(all[i]["i"], i) << "batch " << batch;
        }
        EXPECT_EQ(offset, fs::file_size(path));
        EXPECT_EQ(line, 58);
    }
}

TEST(EventTail, AMalformedCompleteLineIsReportedWithFileAndLineAndSkipped) {
    const auto path = tests::temp_dir("tail-malformed") / "events.jsonl";
    {
        EventWriter writer(path.string(), "r");
        writer.write("log", {{"i", 1}});
        writer.write("log", {{"i", 2}});
    }
    append_raw(path, "{\"seq\": 3, \"type\": \"log\", oops}\n");  // line 3
    append_raw(path, "{\"no_seq\": true, \"type\": \"log\"}\n");  // line 4
    {
        EventWriter writer(path.string(), "r");
        writer.write("log", {{"i", 3}});  // line 5
        writer.write("log", {{"i", 4}});  // line 6
    }
    std::uint64_t offset = 0;
    std::int64_t line = 1;
    std::vector<std::string> errors;
    const auto events = read_all_in_batches(path.string(), 2, offset, line, &errors);
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[2]["i"], 3);
    EXPECT_EQ(events[2]["seq"], 3);  // the writer went on after the last event, not the damage
    EXPECT_EQ(events[3]["seq"], 4);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].rfind(path.string() + ":3 ", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("not JSON"), std::string::npos) << errors[0];
    EXPECT_EQ(errors[1].rfind(path.string() + ":4 ", 0), 0u) << errors[1];
    EXPECT_NE(errors[1].find("not an event"), std::string::npos) << errors[1];
    EXPECT_EQ(line, 7);
}

TEST(EventTail, AReaderTailingALiveWriterSeesEveryEventOnceInOrder) {
    const auto path = tests::temp_dir("tail-live") / "events.jsonl";
    constexpr std::int64_t kEvents = 2000;
    EventWriter writer(path.string(), "live");
    std::thread producer([&] {
        const std::string payload(200, 'z');
        for (std::int64_t i = 0; i < kEvents; ++i)
            writer.write("log", {{"i", i}, {"payload", payload}});
    });
    std::uint64_t offset = 0;
    std::int64_t line = 1;
    std::int64_t expected = 1;
    std::vector<std::string> errors;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool in_order = true;
    while (in_order && expected <= kEvents && std::chrono::steady_clock::now() < deadline) {
        auto r = read_events(path.string(), offset, 64, line);
        errors.insert(errors.end(), r.errors.begin(), r.errors.end());
        for (const auto& e : r.events) {
            if (e["seq"] != expected) {
                ADD_FAILURE() << "expected seq " << expected << ", read " << e.dump().substr(0, 80)
                              << ": events must arrive once each, in order";
                in_order = false;
                break;
            }
            ++expected;
        }
        offset = r.next_offset;
        line = r.next_line;
        if (r.events.empty())
            std::this_thread::yield();
    }
    producer.join();
    EXPECT_EQ(expected, kEvents + 1);
    EXPECT_TRUE(errors.empty()) << errors.front();
    if (in_order) {
        EXPECT_TRUE(read_events(path.string(), offset, SIZE_MAX, line).events.empty());
    }
}

TEST(EventTail, IsEventNeedsAnIntegerSeqAndAStringType) {
    EXPECT_TRUE(is_event(json::parse(R"({"seq": 1, "type": "log"})")));
    EXPECT_FALSE(is_event(json::parse(R"({"seq": "1", "type": "log"})")));
    EXPECT_FALSE(is_event(json::parse(R"({"seq": 1.5, "type": "log"})")));
    EXPECT_FALSE(is_event(json::parse(R"({"seq": 1, "type": 3})")));
    EXPECT_FALSE(is_event(json::parse(R"({"type": "log"})")));
    EXPECT_FALSE(is_event(json::parse(R"([1, "log"])")));
    EXPECT_FALSE(is_event(json(nullptr)));
}

TEST(EventTypes, EveryTypeTheTrainerWritesIsListedAndOnlyTheEndsAreTerminal) {
    const std::vector<std::string> expected = {
        "run_started", "log",      "eval",    "checkpoint_saved", "checkpoint_deleted",
        "sample",      "progress", "warning", "run_finished",     "run_failed"};
    EXPECT_EQ(event_types(), expected);
    for (const auto& type : event_types()) {
        EXPECT_EQ(is_terminal(type), type == "run_finished" || type == "run_failed") << type;
    }
    EXPECT_FALSE(is_terminal("something_new"));
}

}  // namespace
}  // namespace lathe::core::events
