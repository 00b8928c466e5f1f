#include "core/launch/child_setup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace lathe::core::launch {

std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& item : extra)
            replaced = replaced || item.first == name;
        if (!replaced)
            env.push_back(entry);
    }
    for (const auto& [name, value] : extra)
        env.push_back(name + "=" + value);
    return env;
}

ArgvArray::ArgvArray(const std::vector<std::string>& strings) : strings_(strings) {
    pointers_.reserve(strings_.size() + 1);
    for (auto& s : strings_) {
        pointers_.push_back(s.data());
    }
    pointers_.push_back(nullptr);
}

void reset_signals_for_exec() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for numbers libc reserves
        }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void mark_cloexec_from(int first_fd) {
#if defined(__linux__) && defined(CLOSE_RANGE_CLOEXEC)
    if (::close_range(static_cast<unsigned>(first_fd), ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
        return;
    }
#endif
    // Older kernels: walk the whole descriptor table (getrlimit is a plain syscall).
    struct rlimit limit {};
    int max_fd = 1024;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        max_fd = static_cast<int>(limit.rlim_cur < 65536 ? limit.rlim_cur : 65536);
    }
    for (int fd = first_fd; fd < max_fd; ++fd) {
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) {
            ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }
}

bool write_all(int fd, const void* data, unsigned long size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        p += n;
        size -= static_cast<unsigned long>(n);
    }
    return true;
}

}  // namespace lathe::core::launch
