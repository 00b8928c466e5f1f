#include "core/registry/ingest_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/util/error.h"

namespace lathe::core::registry {

std::string IngestLock::lock_path(const std::string& registry_path) {
    return registry_path + ".ingest.lock";
}

std::optional<IngestLock> IngestLock::try_acquire(const std::string& registry_path) {
    const std::string path = lock_path(registry_path);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(path + ": cannot create the ingestion lock: " + std::strerror(errno));
    // flock, not fcntl: fcntl locks belong to the process, so a second try from this process
    // would succeed, and closing any descriptor of the file would drop them.
    int rc;
    do {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK)
            return std::nullopt;
        throw Error(path + ": cannot lock: " + std::strerror(err));
    }
    IngestLock lock(fd);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        throw Error(path + ": cannot write the holder's pid: " + std::strerror(errno));
    }
    return lock;
}

std::optional<int> IngestLock::holder_pid(const std::string& registry_path) {
    const std::string path = lock_path(registry_path);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;  // never locked
    std::optional<int> pid;
    // If a shared lock can be had, nobody holds the exclusive one.
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::flock(fd, LOCK_UN);
    } else {
        char buffer[32] = {};
        const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
        // The holder may not have written its pid yet; then it is running but unnamed (0).
        pid = n > 0 ? std::atoi(buffer) : 0;
    }
    ::close(fd);
    return pid;
}

IngestLock::~IngestLock() {
    release();
}

IngestLock::IngestLock(IngestLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

IngestLock& IngestLock::operator=(IngestLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

void IngestLock::release() noexcept {
    if (fd_ < 0)
        return;
    // Empty the pid first so that a reader never names a process that let go.
    (void)::ftruncate(fd_, 0);
    ::close(fd_);  // drops the flock
    fd_ = -1;
}

}  // namespace lathe::core::registry
