#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/events/event_writer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::events {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

void append_raw(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << bytes;
}

TEST(EventReader, PartialLastLineIsLeftUntilItIsComplete) {
    const auto path = (tests::temp_dir("reader-partial") / "events.jsonl").string();
    append_raw(path, "{\"seq\":1,\"type\":\"log\"}\n{\"seq\":2,\"ty");
    auto r = read_events(path, 0);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.next_offset, 23u);
    EXPECT_EQ(r.next_line, 2);

    // Nothing new: the same offset comes back.
    auto again = read_events(path, r.next_offset, SIZE_MAX, r.next_line);
    EXPECT_TRUE(again.events.empty());
    EXPECT_EQ(again.next_offset, r.next_offset);

    append_raw(path, "pe\":\"eval\"}\n");
    auto rest = read_events(path, r.next_offset, SIZE_MAX, r.next_line);
    ASSERT_EQ(rest.events.size(), 1u);
    EXPECT_EQ(rest.events[0]["seq"], 2);
    EXPECT_EQ(rest.events[0]["type"], "eval");
    EXPECT_EQ(rest.next_offset, fs::file_size(path));
    EXPECT_EQ(rest.next_line, 3);
}

TEST(EventReader, MalformedLinesAreReportedWithLineAndByteAndSkipped) {
    const auto path = (tests::temp_dir("reader-malformed") / "events.jsonl").string();
    append_raw(path,
               "{\"seq\":1,\"type\":\"log\"}\n"      // 23 bytes
               "{\"seq\":2,\"type\"\n"               // line 2, byte 23: not JSON
               "\n"                                  // line 3: blank, skipped silently
               "[1,2]\n"                             // line 4: JSON but not an event
               "{\"seq\":\"4\",\"type\":\"log\"}\n"  // line 5: seq is not an integer
               "{\"seq\":5,\"type\":\"log\"}\n");
    const auto r = read_events(path, 0);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[0]["seq"], 1);
    EXPECT_EQ(r.events[1]["seq"], 5);
    ASSERT_EQ(r.errors.size(), 3u);
    EXPECT_EQ(r.errors[0].rfind(path + ":2 (byte 23): not JSON: ", 0), 0u) << r.errors[0];
    EXPECT_EQ(r.errors[1].rfind(path + ":4 (byte 40): not an event", 0), 0u) << r.errors[1];
    EXPECT_EQ(r.errors[2].rfind(path + ":5 (byte 46): not an event", 0), 0u) << r.errors[2];
    EXPECT_EQ(r.next_offset, fs::file_size(path));
    EXPECT_EQ(r.next_line, 7);
}

TEST(EventReader, LineNumbersCountFromFirstLine) {
    const auto path = (tests::temp_dir("reader-first-line") / "events.jsonl").string();
    append_raw(path, "{\"seq\":1,\"type\":\"log\"}\nbroken\n");
    const auto r = read_events(path, 23, SIZE_MAX, 2);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].rfind(path + ":2 (byte 23)", 0), 0u) << r.errors[0];
}

TEST(EventReader, BatchesResumeExactlyAtTheOffset) {
    const auto path = (tests::temp_dir("reader-batches") / "events.jsonl").string();
    {
        EventWriter writer(path, "r");
        for (int i = 0; i < 103; ++i)
            writer.write(kLog, {{"i", i}});
    }
    std::uint64_t offset = 0;
    std::int64_t line = 1;
    std::vector<json> all;
    int batches = 0;
    while (true) {
        auto r = read_events(path, offset, 10, line);
        EXPECT_TRUE(r.errors.empty());
        if (r.events.empty()) {
            EXPECT_EQ(r.next_offset, offset);
            break;
        }
        EXPECT_LE(r.events.size(), 10u);
        all.insert(all.end(), r.events.begin(), r.events.end());
        offset = r.next_offset;
        line = r.next_line;
        ++batches;
    }
    EXPECT_EQ(batches, 11);
    ASSERT_EQ(all.size(), 103u);
    for (std::size_t i = 0; i < all.size(); ++i)
        EXPECT_EQ(all[i]["seq"], i + 1);
    EXPECT_EQ(offset, fs::file_size(path));
    EXPECT_EQ(line, 104);
}

TEST(EventReader, ReadsWhileAWriterAppends) {
    const auto path = (tests::temp_dir("reader-tail") / "events.jsonl").string();
    EventWriter writer(path, "r");
    std::uint64_t offset = 0;
    std::int64_t line = 1;
    std::int64_t expected = 1;
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 7; ++i)
            writer.write(kLog, {{"round", round}});
        auto r = read_events(path, offset, SIZE_MAX, line);
        for (const auto& e : r.events)
            EXPECT_EQ(e["seq"], expected++);
        offset = r.next_offset;
        line = r.next_line;
    }
    EXPECT_EQ(expected, 36);
}

TEST(EventReader, OffsetBeyondTheFileIsReportedNotFatal) {
    const auto path = (tests::temp_dir("reader-shrunk") / "events.jsonl").string();
    append_raw(path, "{\"seq\":1,\"type\":\"log\"}\n");
    const auto r = read_events(path, 1000);
    EXPECT_TRUE(r.events.empty());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("replaced or cut"), std::string::npos);
    EXPECT_EQ(r.next_offset, 1000u);
}

TEST(EventReader, MissingFileIsAnErrorNamingIt) {
    const auto path = (tests::temp_dir("reader-missing") / "events.jsonl").string();
    try {
        read_events(path, 0);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
}

TEST(EventReader, CrLfLinesAreRead) {
    const auto path = (tests::temp_dir("reader-crlf") / "events.jsonl").string();
    append_raw(path, "{\"seq\":1,\"type\":\"log\"}\r\n");
    const auto r = read_events(path, 0);
    EXPECT_TRUE(r.errors.empty());
    EXPECT_EQ(r.events.size(), 1u);
}

}  // namespace
}  // namespace lathe::core::events
