#include "core/events/event_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "core/util/error.h"

namespace lathe::core::events {
namespace {

using nlohmann::json;

double unix_seconds() {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<double>(us) / 1e6;
}

void read_exactly(int fd, char* out, std::size_t size, std::uint64_t at, const std::string& path) {
    while (size > 0) {
        ssize_t n = ::pread(fd, out, size, static_cast<off_t>(at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            throw Error(path + ": cannot read events: " +
                        (n < 0 ? std::strerror(errno) : "file shrank while reading"));
        }
        out += n;
        size -= static_cast<std::size_t>(n);
        at += static_cast<std::uint64_t>(n);
    }
}

// The offset just after the last "\n" in [0, end), or 0 when there is none. Reads backwards, so
// that reopening a long events.jsonl costs only its tail.
std::uint64_t after_last_newline(int fd, std::uint64_t end, const std::string& path) {
    std::vector<char> chunk(1 << 16);
    while (end > 0) {
        const std::uint64_t begin = end > chunk.size() ? end - chunk.size() : 0;
        const auto size = static_cast<std::size_t>(end - begin);
        read_exactly(fd, chunk.data(), size, begin, path);
        for (std::size_t i = size; i > 0; --i) {
            if (chunk[i - 1] == '\n')
                return begin + i;
        }
        end = begin;
    }
    return 0;
}

// The seq of the last event line ending at or before `complete` (just after a "\n"); 0 if none.
// Lines that are not events (damaged by hand, say) are passed over.
std::int64_t last_event_seq(int fd, std::uint64_t complete, const std::string& path) {
    std::uint64_t line_end = complete;
    while (line_end > 0) {
        const std::uint64_t start = after_last_newline(fd, line_end - 1, path);
        std::string line(static_cast<std::size_t>(line_end - 1 - start), '\0');
        read_exactly(fd, line.data(), line.size(), start, path);
        const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (is_event(j))
            return j["seq"].get<std::int64_t>();
        line_end = start;
    }
    return 0;
}

bool durable_type(const std::string& type) {
    return type == kCheckpointSaved || type == kRunFinished || type == kRunFailed;
}

}  // namespace

EventWriter::EventWriter(const std::string& path, std::string run_id)
    : path_(path), run_id_(std::move(run_id)) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw Error(path + ": cannot open for events: " + std::strerror(errno));
    }
    try {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            throw Error(path + ": cannot stat events: " + std::strerror(errno));
        }
        const auto size = static_cast<std::uint64_t>(st.st_size);
        const std::uint64_t complete = after_last_newline(fd_, size, path);
        if (size > complete && ::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
            throw Error(path + ": cannot cut a partial last line: " + std::strerror(errno));
        }
        size_ = complete;
        seq_ = last_event_seq(fd_, complete, path);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

EventWriter::~EventWriter() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::int64_t EventWriter::last_seq() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seq_;
}

void EventWriter::sync() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (::fdatasync(fd_) != 0) {
        throw Error(path_ + ": cannot sync events: " + std::strerror(errno));
    }
}

std::int64_t EventWriter::write(const std::string& type, json fields) {
    if (fields.is_null())
        fields = json::object();
    if (!fields.is_object()) {
        throw Error(path_ + ": the fields of a \"" + type + "\" event must be a JSON object, got " +
                    fields.type_name());
    }
    const auto dump = [](const json& v) {
        return v.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t seq = seq_ + 1;
    // The envelope first, so that a person reading the file sees seq and type at a glance.
    std::string line = "{\"seq\":" + std::to_string(seq) +
                       ",\"time\":" + json(unix_seconds()).dump() + ",\"run_id\":" + dump(run_id_) +
                       ",\"type\":" + dump(type);
    for (const auto& item : fields.items()) {
        const auto& key = item.key();
        if (key == "seq" || key == "time" || key == "run_id" || key == "type")
            continue;
        line += "," + dump(key) + ":" + dump(item.value());
    }
    line += "}\n";

    std::size_t written = 0;
    while (written < line.size()) {
        ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            // Cut a partial line away (disk full, say) so that the next event starts a line.
            // If this fails too, the next writer to open the file cuts the line.
            if (written > 0) {
                const int cut = ::ftruncate(fd_, static_cast<off_t>(size_));
                (void)cut;
            }
            throw Error(path_ + ": cannot append event " + std::to_string(seq) + " (" + type +
                        "): " + std::strerror(err));
        }
        written += static_cast<std::size_t>(n);
    }
    size_ += line.size();
    seq_ = seq;
    if (durable_type(type) && ::fdatasync(fd_) != 0) {
        throw Error(path_ + ": cannot sync events: " + std::strerror(errno));
    }
    return seq;
}

}  // namespace lathe::core::events
