#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/events/event_reader.h"
#include "core/events/event_types.h"

namespace lathe::core::events {

// Appends events to events.jsonl (docs/events.md is the contract): one JSON object per line,
// each with "seq" (strictly increasing from 1), "time" (unix seconds), "run_id" and "type" first,
// then the event's own fields. A line goes out in one write(2) with O_APPEND, so that a reader
// never sees a torn line from a live writer and a crash loses at most the line being written.
// One writer per file (not enforced); write() is thread-safe.
class EventWriter {
  public:
    // Creates the file or continues it: seq goes on after the last complete event line, and a
    // partial last line (a crash mid-write) is cut away first so that every line stays whole.
    // Throws Error naming the path.
    EventWriter(const std::string& path, std::string run_id);
    ~EventWriter();
    EventWriter(const EventWriter&) = delete;
    EventWriter& operator=(const EventWriter&) = delete;

    // Appends one event; `fields` is a JSON object (or null for none), its seq, time, run_id and
    // type keys are replaced. Non-finite numbers become null (JSON has no spelling for them) and
    // invalid UTF-8 in strings becomes U+FFFD. Events after which a reader acts on the disk
    // (checkpoint_saved, run_finished, run_failed) are also fdatasync'ed. Returns the seq.
    // Throws Error naming the path; a failed append is cut back so the file stays whole.
    std::int64_t write(const std::string& type, nlohmann::json fields);

    // fdatasync: what was written survives a power cut.
    void sync();

    std::int64_t last_seq() const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    std::string run_id_;
    int fd_ = -1;
    std::int64_t seq_ = 0;
    std::uint64_t size_ = 0;  // the file's size after our last complete line
    mutable std::mutex mutex_;
};

}  // namespace lathe::core::events
