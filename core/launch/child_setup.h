#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lathe::core::launch {

// A NULL-terminated char* array over strings that outlive it, built BEFORE fork(): between
// fork() and exec() a child of a multithreaded parent may only call async-signal-safe functions,
// so it must not allocate.
class ArgvArray {
  public:
    explicit ArgvArray(const std::vector<std::string>& strings);
    char* const* data() const { return pointers_.data(); }

  private:
    std::vector<std::string> strings_;
    std::vector<char*> pointers_;
};

// This process's environment ("NAME=VALUE" entries) with `extra` added; a name already there is
// replaced. Built before fork(), like ArgvArray's strings.
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& extra);

// The functions below are async-signal-safe, for use between fork() and exec().

// Every signal back to its default action and none blocked: exec keeps ignored signals ignored
// and the mask as it is, and a trainer must not inherit a caller's SIG_IGN for SIGTERM or SIGPIPE.
void reset_signals_for_exec();

// Marks every descriptor from `first_fd` up close-on-exec, so that descriptors the caller opened
// without O_CLOEXEC (sockets, pipes of other children) do not leak into a long-lived run.
void mark_cloexec_from(int first_fd);

// Writes all of `size` bytes, retrying on EINTR; false on error.
bool write_all(int fd, const void* data, unsigned long size);

}  // namespace lathe::core::launch
