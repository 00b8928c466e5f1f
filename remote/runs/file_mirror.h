#pragma once

#include <cstdint>
#include <string>

namespace lathe::remote::ssh {
class SftpClient;
}

namespace lathe::remote::runs {

struct MirrorResult {
    bool remote_exists = false;
    std::uint64_t bytes_appended = 0;
    bool restarted = false;  // the remote file was shorter than the copy: replaced, copied anew
};

// Keeps `local_path` a byte-exact copy of the append-only `remote_path` (events.jsonl, logs):
// fetches only the bytes past the local size and appends them. The local size is the resume
// point, so a dropped connection, a crash or a restart continue where the copy ends, and
// nothing is fetched twice or skipped. At most `max_bytes` per call.
MirrorResult mirror_append_only(ssh::SftpClient& sftp, const std::string& remote_path,
                                const std::string& local_path, std::uint64_t max_bytes = 64u << 20);

}  // namespace lathe::remote::runs
