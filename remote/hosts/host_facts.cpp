#include "remote/hosts/host_facts.h"

#include <charconv>
#include <map>
#include <optional>
#include <sstream>

#include "core/util/error.h"

namespace lathe::remote::hosts {
namespace {

// A local copy of POSIX single quoting: lathe_remote_hosts links no libssh, so it cannot use
// remote/ssh's shell_quote.
std::string single_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// Every section prints its output through `lathe_show "$(...)"`: command substitution drops the
// trailing newlines and lathe_show adds exactly one, so output without a final newline can never
// glue the next `@@lathe` marker onto its last line. stdin is /dev/null throughout: over SSH a
// command that reads stdin would hang the probe.
constexpr const char* kScriptHead = R"sh(exec </dev/null
lathe_show() { if [ -n "$1" ]; then printf '%s\n' "$1"; fi; }
echo '@@lathe os'
lathe_show "$(cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null)"
echo '@@lathe kernel'
lathe_show "$(uname -sr 2>/dev/null)"
echo '@@lathe cpus'
lathe_show "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
echo '@@lathe meminfo'
lathe_show "$(cat /proc/meminfo 2>/dev/null)"
echo '@@lathe disk'
)sh";

// The runs folder may not exist before the first run: measure its nearest existing parent, by
// parameter expansion rather than dirname, whose $(...) would strip newlines out of a name.
// A relative result gets "./" so that a name starting with "-" is not an option to df.
constexpr const char* kScriptDisk = R"sh(
while [ ! -d "$lathe_d" ]; do
  case $lathe_d in */*) lathe_d=${lathe_d%/*}; lathe_d=${lathe_d:-/} ;; *) lathe_d=. ;; esac
done
case $lathe_d in /*) ;; *) lathe_d=./$lathe_d ;; esac
lathe_show "$(df -Pk "$lathe_d" 2>/dev/null)"
echo '@@lathe gpus'
if command -v nvidia-smi >/dev/null 2>&1; then
  lathe_t=
  if command -v timeout >/dev/null 2>&1; then lathe_t='timeout 30'; fi
  lathe_out=$($lathe_t nvidia-smi --query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu --format=csv,noheader,nounits 2>&1)
  lathe_rc=$?
else
  lathe_out='nvidia-smi: not found'
  lathe_rc=127
fi
lathe_show "$lathe_out"
echo "@@lathe gpus-exit $lathe_rc"
echo '@@lathe worker'
)sh";

constexpr const char* kScriptTail = R"sh(
lathe_rc=$?
lathe_show "$lathe_out"
echo "@@lathe worker-exit $lathe_rc"
echo '@@lathe end'
)sh";

// nvidia-smi hangs on a wedged driver; `timeout 30` turns that into this exit status.
constexpr int kTimeoutExit = 124;

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n";
    std::size_t begin = s.find_first_not_of(ws);
    if (begin == std::string::npos) {
        return "";
    }
    return s.substr(begin, s.find_last_not_of(ws) - begin + 1);
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

template <typename Int>
std::optional<Int> to_int(const std::string& s) {
    Int value{};
    const char* last = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), last, value);
    if (ec != std::errc() || ptr != last || s.empty()) {
        return std::nullopt;
    }
    return value;
}

std::string first_nonempty(const std::vector<std::string>& lines) {
    for (const std::string& line : lines) {
        if (!trim(line).empty()) {
            return trim(line);
        }
    }
    return "";
}

// os-release values are shell-quoted ("..." with \-escapes, or '...').
std::string os_release_value(const std::string& raw) {
    std::string v = trim(raw);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        char quote = v.front();
        std::string out;
        for (std::size_t i = 1; i + 1 < v.size(); ++i) {
            if (quote == '"' && v[i] == '\\' && i + 2 < v.size()) {
                ++i;
            }
            out += v[i];
        }
        return out;
    }
    return v;
}

std::string parse_os(const std::vector<std::string>& lines) {
    std::string name;
    for (const std::string& line : lines) {
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            return os_release_value(line.substr(12));
        }
        if (line.rfind("NAME=", 0) == 0) {
            name = os_release_value(line.substr(5));
        }
    }
    return name;
}

void parse_meminfo(const std::vector<std::string>& lines, HostFacts& facts) {
    std::map<std::string, std::int64_t> kib;
    for (const std::string& line : lines) {
        std::vector<std::string> w = words(line);
        if (w.size() >= 2 && w[0].back() == ':') {
            if (auto value = to_int<std::int64_t>(w[1])) {
                kib[w[0].substr(0, w[0].size() - 1)] = *value;
            }
        }
    }
    facts.memory_total_bytes = kib["MemTotal"] * 1024;
    // Kernels before 3.14 have no MemAvailable; free + caches is what it estimates.
    std::int64_t available = kib.count("MemAvailable")
                                 ? kib["MemAvailable"]
                                 : kib["MemFree"] + kib["Buffers"] + kib["Cached"];
    facts.memory_available_bytes = available * 1024;
}

// `df -Pk`: "Filesystem 1024-blocks Used Available Capacity Mounted-on". The filesystem and the
// mount point may contain spaces, so the row is anchored on "<n> <n> <n> <n>%".
std::int64_t parse_df(const std::vector<std::string>& lines) {
    std::int64_t free_bytes = -1;
    for (const std::string& line : lines) {
        std::vector<std::string> w = words(line);
        for (std::size_t k = 3; k < w.size(); ++k) {
            const std::string& capacity = w[k];
            if (capacity.size() < 2 || capacity.back() != '%' ||
                !to_int<int>(capacity.substr(0, capacity.size() - 1))) {
                continue;
            }
            auto total = to_int<std::int64_t>(w[k - 3]);
            auto used = to_int<std::int64_t>(w[k - 2]);
            auto available = to_int<std::int64_t>(w[k - 1]);
            if (total && used && available) {
                free_bytes = *available * 1024;
                break;
            }
        }
    }
    return free_bytes;
}

// "[N/A]", "[Not Supported]", "N/A": unknown, -1.
std::optional<std::int64_t> gpu_number(const std::string& field) {
    std::string f = trim(field);
    if (f.empty() || f.front() == '[' || f == "N/A") {
        return -1;
    }
    return to_int<std::int64_t>(f);
}

// "0, NVIDIA H200, 1, 143771, 0, 31": the name is whatever lies between the index and the last
// four numbers, so a name with spaces or commas survives.
std::optional<GpuFacts> parse_gpu_line(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos;
         start = comma + 1) {
        fields.push_back(line.substr(start, comma - start));
    }
    fields.push_back(line.substr(start));
    if (fields.size() < 6) {
        return std::nullopt;
    }
    std::size_t n = fields.size();
    auto index = to_int<int>(trim(fields[0]));
    auto used = gpu_number(fields[n - 4]);
    auto total = gpu_number(fields[n - 3]);
    auto util = gpu_number(fields[n - 2]);
    auto temp = gpu_number(fields[n - 1]);
    if (!index || !used || !total || !util || !temp) {
        return std::nullopt;
    }
    GpuFacts gpu;
    gpu.index = *index;
    for (std::size_t i = 1; i + 4 < n; ++i) {
        gpu.name += (i > 1 ? "," : "") + fields[i];
    }
    gpu.name = trim(gpu.name);
    gpu.memory_used_mib = *used;
    gpu.memory_total_mib = *total;
    gpu.utilization_percent = static_cast<int>(*util);
    gpu.temperature_c = static_cast<int>(*temp);
    return gpu;
}

void parse_gpus(const std::vector<std::string>& lines, int exit_status, HostFacts& facts) {
    if (exit_status == 127) {
        facts.gpu_error = "nvidia-smi: not found";
    } else if (exit_status == kTimeoutExit) {
        facts.gpu_error = "nvidia-smi: no answer within 30 s";
    } else if (exit_status != 0) {
        facts.gpu_error =
            "nvidia-smi: exit " + std::to_string(exit_status) + ": " + first_nonempty(lines);
    } else {
        for (const std::string& line : lines) {
            if (trim(line).empty()) {
                continue;
            }
            if (auto gpu = parse_gpu_line(line)) {
                facts.gpus.push_back(*gpu);
            } else {
                facts.gpus.clear();
                facts.gpu_error = "nvidia-smi: unexpected output: " + trim(line);
                return;
            }
        }
    }
}

// dash: "sh: 1: lathe-train: not found"; bash: "sh: line 1: lathe-train: command not found".
std::string missing_command(const std::string& message) {
    for (const std::string suffix : {": command not found", ": not found"}) {
        if (message.size() > suffix.size() &&
            message.compare(message.size() - suffix.size(), suffix.size(), suffix) == 0) {
            std::string before = message.substr(0, message.size() - suffix.size());
            std::size_t colon = before.rfind(": ");
            return colon == std::string::npos ? before : before.substr(colon + 2);
        }
    }
    return "";
}

void parse_worker(const std::vector<std::string>& lines, int exit_status, HostFacts& facts) {
    std::string first = first_nonempty(lines);
    if (exit_status == 0 && !first.empty()) {
        facts.worker_version = first;
        return;
    }
    std::string command = exit_status == 127 ? missing_command(first) : "";
    if (!command.empty()) {
        facts.worker_error = command + ": command not found on the node";
    } else if (exit_status == 0) {
        facts.worker_error = "exit 0 but printed no version";
    } else {
        facts.worker_error = "exit " + std::to_string(exit_status) + ": " + first;
    }
}

}  // namespace

std::string probe_script(const std::string& runs_dir_quoted, const std::string& worker_command) {
    if (worker_command.empty()) {
        // The section is left out: parse_probe_output leaves the worker fields empty.
        return std::string(kScriptHead) + "lathe_d=" + runs_dir_quoted + kScriptDisk +
               "echo '@@lathe end'\n";
    }
    return std::string(kScriptHead) + "lathe_d=" + runs_dir_quoted + kScriptDisk +
           "lathe_out=$(sh -c " + single_quote(worker_command + " --version") + " 2>&1)" +
           kScriptTail;
}

HostFacts parse_probe_output(const std::string& text) {
    std::map<std::string, std::vector<std::string>> sections;
    std::map<std::string, int> exits;
    std::string current;  // lines before the first marker (a login banner) belong to none
    bool ended = false;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.rfind("@@lathe ", 0) != 0) {
            if (!current.empty()) {
                sections[current].push_back(line);
            }
            continue;
        }
        std::vector<std::string> w = words(line.substr(8));
        std::string name = w.empty() ? "" : w[0];
        if (name == "end") {
            ended = true;
            break;
        }
        if (name == "gpus-exit" || name == "worker-exit") {
            exits[name] = w.size() > 1 ? to_int<int>(w[1]).value_or(-1) : -1;
            current.clear();
        } else {
            current = name;
            sections[current];
        }
    }
    if (!ended) {
        throw core::Error("probe output truncated: no \"@@lathe end\" line" +
                          (current.empty() ? std::string() : " (last section: " + current + ")"));
    }

    HostFacts facts;
    facts.os = parse_os(sections["os"]);
    facts.kernel = first_nonempty(sections["kernel"]);
    facts.cpu_count = to_int<int>(first_nonempty(sections["cpus"])).value_or(0);
    parse_meminfo(sections["meminfo"], facts);
    facts.disk_free_bytes = parse_df(sections["disk"]);
    if (exits.count("gpus-exit")) {
        parse_gpus(sections["gpus"], exits["gpus-exit"], facts);
    }
    if (exits.count("worker-exit")) {
        parse_worker(sections["worker"], exits["worker-exit"], facts);
    }
    return facts;
}

}  // namespace lathe::remote::hosts
