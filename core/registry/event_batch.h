#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/registry/flat_event.h"

namespace lathe::core::registry {

// A field of a flat event, its key kept as a position in EventBatch::text (which grows while
// the batch is read, so views into it would dangle).
struct BatchField {
    std::size_t key_offset = 0;
    std::size_t key_size = 0;
    FlatNumber number;
};

struct BatchEvent {
    std::int64_t seq = 0;
    // A log, eval or progress line read by parse_flat_event: its type (an events:: constant)
    // and its numeric fields [first_field, end_field) of EventBatch::fields, sorted by key.
    // nullptr for every other event, which is in `dom`.
    const char* flat_type = nullptr;
    std::size_t first_field = 0, end_field = 0;
    nlohmann::json dom;
};

struct EventBatch {
    std::vector<BatchEvent> events;
    std::vector<BatchField> fields;
    std::string text;  // the bytes read; flat fields point into it
    std::uint64_t next_offset = 0;
    std::int64_t next_line = 1;
    std::vector<std::string> errors;

    std::string_view key(const BatchField& field) const {
        return std::string_view(text).substr(field.key_offset, field.key_size);
    }
};

// events::read_events for ingestion: the same lines, offsets, line numbers, errors and event
// count, but the log, eval and progress lines (nearly all of a run) skip the nlohmann::json DOM.
// Every other line, and any line parse_flat_event declines, is parsed and checked exactly as
// read_events does.
// `batch` is cleared and refilled: passing the same one for every batch reuses its buffers, so a
// long ingestion does not allocate and fault in fresh megabytes per batch.
void read_event_batch(const std::string& path, std::uint64_t offset, std::size_t max_events,
                      std::int64_t first_line, EventBatch& batch);

}  // namespace lathe::core::registry
