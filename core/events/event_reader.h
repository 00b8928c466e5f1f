#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/util/unique_fd.h"

namespace lathe::core::events {

struct ReadResult {
    std::vector<nlohmann::json> events;
    std::uint64_t next_offset = 0;  // just after the last complete line consumed
    std::int64_t next_line = 1;     // the line number at next_offset
    // Complete lines that are not events, skipped: "PATH:LINE (byte OFFSET): not JSON: ..." or
    // "...: not an event: ...". Also a note when the file is shorter than `offset` (it was
    // replaced or cut; nothing is read then).
    std::vector<std::string> errors;
};

// Reads the complete lines of events.jsonl from byte `offset`, whose line number is `first_line`.
// A last line without its "\n" is still being written (or was cut by a crash): it is left for the
// next call, which passes back next_offset and next_line. An event is a JSON object with an
// integer "seq" and a string "type"; empty lines are skipped silently, other lines reported in
// `errors` and skipped, never fatal. At most `max_events` events are returned per call.
// Throws Error naming the path when the file cannot be opened or read.
ReadResult read_events(const std::string& path, std::uint64_t offset,
                       std::size_t max_events = std::numeric_limits<std::size_t>::max(),
                       std::int64_t first_line = 1);

// For readers that scan events.jsonl their own way (the registry's batch reader), the two steps
// read_events is made of, with its words:
// - the file opened for reading from `offset`; an invalid descriptor, with the "replaced or cut"
//   note added to `errors`, when the file is shorter than `offset`. Throws Error naming the path.
util::UniqueFd open_events(const std::string& path, std::uint64_t offset,
                           std::vector<std::string>& errors);
// - one complete, non-blank line: its event, or nullopt with the note read_events reports
//   ("PATH:LINE (byte OFFSET): not JSON: ..." or "...: not an event: ...") added to `errors`.
std::optional<nlohmann::json> parse_event_line(std::string_view line, const std::string& path,
                                               std::int64_t line_number, std::uint64_t line_offset,
                                               std::vector<std::string>& errors);

// Whether `j` has the shape of an event (an object with an integer seq and a string type).
bool is_event(const nlohmann::json& j);

}  // namespace lathe::core::events
