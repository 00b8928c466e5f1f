#pragma once

#include <optional>
#include <string>

namespace lathe::core::registry {

// Only one process ingests into a registry at a time: an flock(2) on "<registry>.ingest.lock".
// The kernel drops it when the holder dies, even by SIGKILL, so a crash never leaves it stuck.
// Readers do not take it (WAL lets them read while ingestion writes).
class IngestLock {
  public:
    // The lock when free, std::nullopt when another process (or another IngestLock of this one)
    // holds it. Writes this process's pid into the lock file. Throws Error naming the lock file
    // when it cannot be created.
    static std::optional<IngestLock> try_acquire(const std::string& registry_path);
    // The pid of the process holding the lock, std::nullopt when nobody holds it.
    static std::optional<int> holder_pid(const std::string& registry_path);
    static std::string lock_path(const std::string& registry_path);

    ~IngestLock();
    IngestLock(IngestLock&& other) noexcept;
    IngestLock& operator=(IngestLock&& other) noexcept;
    IngestLock(const IngestLock&) = delete;
    IngestLock& operator=(const IngestLock&) = delete;

  private:
    explicit IngestLock(int fd) : fd_(fd) {}
    void release() noexcept;

    int fd_ = -1;
};

}  // namespace lathe::core::registry
