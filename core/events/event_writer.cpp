#include "core/events/event_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "core/util/error.h"

namespace lathe::core::events {
namespace {

double unix_seconds() {
    using namespace std::chrono;
    return static_cast<double>(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) /
           1e6;
}

}  // namespace

EventWriter::EventWriter(const std::string& path, std::string run_id)
    : path_(path), run_id_(std::move(run_id)) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw Error(path + ": cannot open for events: " + std::strerror(errno));
    }
    // Find the end of the last complete line and the seq it carries.
    std::uint64_t complete = 0;
    std::int64_t line = 1;
    while (true) {
        auto batch = read_events(path, complete, 100000, line);
        for (const auto& e : batch.events) seq_ = std::max(seq_, e.value("seq", std::int64_t{0}));
        if (batch.next_offset == complete) break;
        complete = batch.next_offset;
        line = batch.next_line;
    }
    struct stat st {};
    ::fstat(fd_, &st);
    if (static_cast<std::uint64_t>(st.st_size) > complete) {
        if (::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
            throw Error(path + ": cannot cut a partial last line: " + std::strerror(errno));
        }
    }
    ::close(fd_);
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) {
        throw Error(path + ": cannot open for events: " + std::strerror(errno));
    }
}

EventWriter::~EventWriter() {
    if (fd_ >= 0) ::close(fd_);
}

std::int64_t EventWriter::last_seq() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seq_;
}

std::int64_t EventWriter::write(const std::string& type, nlohmann::json fields) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!fields.is_object()) fields = nlohmann::json::object();
    fields["seq"] = seq_ + 1;
    fields["time"] = unix_seconds();
    fields["run_id"] = run_id_;
    fields["type"] = type;
    // Non-finite floats have no JSON spelling; nlohmann writes null for them, which readers take.
    std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path_ + ": cannot append an event: " + std::strerror(errno));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return ++seq_;
}

ReadResult read_events(const std::string& path, std::uint64_t offset, std::size_t max_events,
                       std::int64_t first_line) {
    ReadResult result;
    result.next_offset = offset;
    result.next_line = first_line;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(path + ": cannot open events: " + std::strerror(errno));
    }
    in.seekg(static_cast<std::streamoff>(offset));
    std::string line;
    while (result.events.size() < max_events && std::getline(in, line)) {
        if (in.eof()) break;  // no newline: a line still being written
        const std::uint64_t line_offset = result.next_offset;
        result.next_offset += line.size() + 1;
        const std::int64_t number = result.next_line++;
        if (line.empty()) continue;
        try {
            auto j = nlohmann::json::parse(line);
            if (!j.is_object() || !j.contains("seq") || !j.contains("type")) {
                throw std::runtime_error("not an event object with seq and type");
            }
            result.events.push_back(std::move(j));
        } catch (const std::exception& e) {
            result.errors.push_back(path + ":" + std::to_string(number) + " (byte " +
                                    std::to_string(line_offset) + "): not an event: " + e.what());
        }
    }
    return result;
}

}  // namespace lathe::core::events
