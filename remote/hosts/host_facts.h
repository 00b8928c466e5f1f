#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::remote::hosts {

// One GPU as nvidia-smi reports it. A value nvidia-smi cannot give ("[N/A]", "[Not Supported]",
// e.g. utilization on a MIG-enabled GPU) is -1, so that "unknown" never reads as a real 0.
struct GpuFacts {
    int index = 0;
    std::string name;
    std::int64_t memory_used_mib = 0, memory_total_mib = 0;
    int utilization_percent = 0;
    int temperature_c = 0;
};

// What a node is, as the probe script found it. Fields stay at their defaults when the node did
// not say (a section missing or unparsable): the probe informs, it never blocks a connection.
struct HostFacts {
    std::string os;      // PRETTY_NAME from /etc/os-release
    std::string kernel;  // `uname -sr`
    int cpu_count = 0;
    std::int64_t memory_total_bytes = 0, memory_available_bytes = 0;
    // Free space where runs go (the nearest existing parent before the first run); -1 unknown.
    std::int64_t disk_free_bytes = -1;
    std::vector<GpuFacts> gpus;
    std::string gpu_error;  // why `gpus` is empty: "nvidia-smi: not found", the driver's message...
    // The first line of `<worker> --version` when it exits 0 ("lathe-train 0.1.0 (libtorch ...)");
    // otherwise worker_error says why: "exit N: <first line>" or "<cmd>: command not found on
    // the node".
    std::string worker_version;
    std::string worker_error;
};

// A POSIX sh script for `sh -c` on the node: one `@@lathe <section>` block per fact, each
// independent (a missing tool empties its section, never stops the script), ending with
// `@@lathe end`. `runs_dir_quoted` must already be shell-quoted; it is not expanded further, so
// `~` in it is not the home directory (a relative path is relative to the login directory).
// `worker_command` (`lathe-train`, `apptainer exec --nv x.sif lathe-train`) runs in its own
// `sh -c`, so that a typo in it fails the worker section alone; "" leaves the worker out (a
// periodic probe: starting the worker costs more than everything else together).
std::string probe_script(const std::string& runs_dir_quoted, const std::string& worker_command);

// Parses the script's output. CRLF is tolerated. Throws core::Error "probe output truncated..."
// when `@@lathe end` is missing (the connection dropped or the script was killed).
HostFacts parse_probe_output(const std::string& text);

}  // namespace lathe::remote::hosts
