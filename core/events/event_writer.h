#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::events {

// Appends events to events.jsonl: one JSON object per line, written with one write(2) and so
// visible to readers at once, each with seq (strictly increasing from 1), time, run_id, type.
// docs/events.md is the contract.
class EventWriter {
public:
    // Creates the file or continues it: seq goes on after the last complete line, and a partial
    // last line (a crash mid-write) is cut away first so that every line stays whole.
    EventWriter(const std::string& path, std::string run_id);
    ~EventWriter();
    EventWriter(const EventWriter&) = delete;
    EventWriter& operator=(const EventWriter&) = delete;

    std::int64_t write(const std::string& type, nlohmann::json fields);
    std::int64_t last_seq() const;
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::string run_id_;
    int fd_ = -1;
    std::int64_t seq_ = 0;
    mutable std::mutex mutex_;
};

struct ReadResult {
    std::vector<nlohmann::json> events;
    std::uint64_t next_offset = 0;    // after the last complete line consumed
    std::int64_t next_line = 1;       // the line number at next_offset
    std::vector<std::string> errors;  // complete lines that are not events: skipped, reported
};

// Complete lines from byte `offset` (line number `first_line`); a partial last line is left for
// the next call.
ReadResult read_events(const std::string& path, std::uint64_t offset,
                       std::size_t max_events = std::numeric_limits<std::size_t>::max(),
                       std::int64_t first_line = 1);

}  // namespace lathe::core::events
