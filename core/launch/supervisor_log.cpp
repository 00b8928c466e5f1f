#include "core/launch/supervisor_log.h"

#include <unistd.h>

#include <ctime>

#include "core/launch/child_setup.h"

namespace lathe::core::launch {

void log_line(int fd, const std::string& message) {
    char stamp[32] = "";
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    if (::gmtime_r(&now, &utc) != nullptr) {
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    }
    const std::string line =
        std::string(stamp) + " supervisor[" + std::to_string(::getpid()) + "]: " + message + "\n";
    write_all(fd, line.data(), line.size());
}

}  // namespace lathe::core::launch
