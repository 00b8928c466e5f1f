#include "core/events/event_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/util/error.h"

namespace lathe::core::events {
namespace {

bool blank(const std::string& line) {
    return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

bool is_event(const nlohmann::json& j) {
    if (!j.is_object())
        return false;
    auto seq = j.find("seq");
    auto type = j.find("type");
    return seq != j.end() && seq->is_number_integer() && type != j.end() && type->is_string();
}

util::UniqueFd open_events(const std::string& path, std::uint64_t offset,
                           std::vector<std::string>& errors) {
    util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        throw Error(path + ": cannot open events: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw Error(path + ": cannot stat events: " + std::strerror(errno));
    if (static_cast<std::uint64_t>(st.st_size) < offset) {
        errors.push_back(path + ": holds " + std::to_string(st.st_size) +
                         " bytes, fewer than the offset " + std::to_string(offset) +
                         " already read: the file was replaced or cut");
        return util::UniqueFd();
    }
    return fd;
}

std::optional<nlohmann::json> parse_event_line(std::string_view line, const std::string& path,
                                               std::int64_t line_number, std::uint64_t line_offset,
                                               std::vector<std::string>& errors) {
    const std::string where =
        path + ":" + std::to_string(line_number) + " (byte " + std::to_string(line_offset) + "): ";
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line.data(), line.data() + line.size());
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back(where + "not JSON: " + e.what());
        return std::nullopt;
    }
    if (!is_event(j)) {
        errors.push_back(where +
                         "not an event: needs a JSON object with an integer \"seq\" and a "
                         "string \"type\"");
        return std::nullopt;
    }
    return j;
}

ReadResult read_events(const std::string& path, std::uint64_t offset, std::size_t max_events,
                       std::int64_t first_line) {
    ReadResult result;
    result.next_offset = offset;
    result.next_line = first_line;
    const util::UniqueFd fd = open_events(path, offset, result.errors);
    if (!fd.valid())
        return result;

    // `pending` holds bytes read from the file; those before `start` are consumed lines (dropped
    // only when reading more, so that taking a line never shifts the rest of the buffer).
    std::string pending;
    std::size_t start = 0;     // where the line at next_offset begins in `pending`
    std::size_t searched = 0;  // bytes of `pending` after `start` known to hold no "\n"
    std::uint64_t read_at = offset;
    std::vector<char> chunk(1 << 16);
    bool eof = false;
    while (result.events.size() < max_events) {
        const auto newline = pending.find('\n', start + searched);
        if (newline == std::string::npos) {
            if (eof)
                break;
            pending.erase(0, start);
            start = 0;
            searched = pending.size();
            ssize_t n = ::pread(fd.get(), chunk.data(), chunk.size(), static_cast<off_t>(read_at));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                throw Error(path + ": cannot read events: " + std::strerror(errno));
            }
            if (n == 0) {
                eof = true;
                continue;
            }
            pending.append(chunk.data(), static_cast<std::size_t>(n));
            read_at += static_cast<std::uint64_t>(n);
            continue;
        }
        const std::string line = pending.substr(start, newline - start);
        start = newline + 1;
        searched = 0;
        const std::uint64_t line_offset = result.next_offset;
        const std::int64_t number = result.next_line;
        result.next_offset += line.size() + 1;
        result.next_line += 1;
        if (blank(line))
            continue;
        auto event = parse_event_line(line, path, number, line_offset, result.errors);
        if (!event)
            continue;
        result.events.push_back(std::move(*event));
    }
    return result;
}

}  // namespace lathe::core::events
