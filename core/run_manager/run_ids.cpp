#include "core/run_manager/run_ids.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace lathe::core::run_manager {

std::string slug(const std::string& name) {
    std::string out;
    for (const char c : name) {
        if (out.size() >= 40)
            break;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            out += c;
        } else if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    while (!out.empty() && out.back() == '-')
        out.pop_back();
    return out.empty() ? "run" : out;
}

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string new_run_id(const std::string& name, double created_at) {
    const auto seconds = static_cast<std::time_t>(created_at);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::random_device device;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(device() & 0xffffu));
    return std::string(stamp) + "-" + slug(name) + "-" + suffix;
}

}  // namespace lathe::core::run_manager
