#include "core/launch/proc_info.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lathe::core::launch {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!in || !std::getline(in, line)) {
        return std::nullopt;
    }
    // The command name (field 2) is in parentheses and may itself hold spaces and ')': the
    // fields after it start after the LAST ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream rest(line.substr(close + 1));
    std::vector<std::string> fields;  // fields[0] is field 3 (state)
    std::string field;
    while (rest >> field) {
        fields.push_back(field);
    }
    if (fields.size() < 20 || fields[0].size() != 1) {
        return std::nullopt;
    }
    ProcStat stat;
    try {
        stat.state = fields[0][0];
        stat.parent_pid = static_cast<pid_t>(std::stol(fields[1]));
        stat.start_ticks = std::stoull(fields[19]);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return stat;
}

std::string current_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    if (!in || !std::getline(in, id)) {
        return "";
    }
    return id;
}

double unix_now_s() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace lathe::core::launch
