#include "core/registry/event_batch.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/events/event_reader.h"
#include "core/events/event_types.h"
#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

namespace ev = lathe::core::events;

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// The types whose numbers are all ingestion takes from them; the others keep their DOM.
const char* flat_type(std::string_view type) {
    if (type == ev::kLog)
        return ev::kLog;
    if (type == ev::kEval)
        return ev::kEval;
    if (type == ev::kProgress)
        return ev::kProgress;
    return nullptr;
}

}  // namespace

void read_event_batch(const std::string& path, std::uint64_t offset, std::size_t max_events,
                      std::int64_t first_line, EventBatch& batch) {
    batch.events.clear();
    batch.fields.clear();
    batch.text.clear();
    batch.errors.clear();
    batch.next_offset = offset;
    batch.next_line = first_line;
    const util::UniqueFd fd = ev::open_events(path, offset, batch.errors);
    if (!fd.valid())
        return;

    std::string& text = batch.text;
    std::size_t line_start = 0;  // in `text`, of the first line not consumed yet
    std::size_t searched = 0;    // `text` before this holds no "\n" after line_start
    std::uint64_t read_at = offset;
    constexpr std::size_t kChunk = 1 << 16;
    bool eof = false;
    FlatEvent flat;  // reused: parsing a flat line allocates nothing
    while (batch.events.size() < max_events) {
        const void* found = std::memchr(text.data() + searched, '\n', text.size() - searched);
        if (!found) {
            if (eof)
                break;
            searched = text.size();
            text.resize(searched + kChunk);
            const ssize_t n =
                ::pread(fd.get(), text.data() + searched, kChunk, static_cast<off_t>(read_at));
            text.resize(searched + static_cast<std::size_t>(n < 0 ? 0 : n));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                throw Error(path + ": cannot read events: " + std::strerror(errno));
            }
            eof = n == 0;
            read_at += static_cast<std::uint64_t>(n);
            continue;
        }
        const auto newline =
            static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
        const std::string_view line(text.data() + line_start, newline - line_start);
        const std::uint64_t line_offset = batch.next_offset;
        const std::int64_t number = batch.next_line;
        batch.next_offset += line.size() + 1;
        batch.next_line += 1;
        line_start = searched = newline + 1;
        if (blank(line))
            continue;
        if (parse_flat_event(line, flat)) {
            if (const char* type = flat_type(flat.type)) {
                BatchEvent& event = batch.events.emplace_back();
                event.seq = flat.seq;
                event.flat_type = type;
                event.first_field = batch.fields.size();
                for (const FlatField& field : flat.numbers) {
                    batch.fields.push_back(
                        {static_cast<std::size_t>(field.key.data() - text.data()), field.key.size(),
                         field.number});
                }
                event.end_field = batch.fields.size();
                continue;
            }
        }
        // The DOM path: read_events' own.
        auto j = ev::parse_event_line(line, path, number, line_offset, batch.errors);
        if (!j)
            continue;
        BatchEvent& event = batch.events.emplace_back();
        event.seq = (*j)["seq"].get<std::int64_t>();
        event.dom = std::move(*j);
    }
}

}  // namespace lathe::core::registry
