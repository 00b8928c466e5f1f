#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace lathe::remote::ssh {

class SftpClient;

struct TransferResult {
    bool transferred = false;      // false: the same content was already there
    std::uint64_t bytes = 0;       // the file's size
    std::uint64_t bytes_sent = 0;  // what crossed the network this time
    std::uint64_t resumed_from = 0;
    std::string sha256;  // lower-case hex, checked on both ends
};

using TransferProgress = std::function<void(std::uint64_t done_bytes, std::uint64_t total_bytes)>;

// The SHA-256 of a remote file, computed on the node (`sha256sum`) so that only 64 hex digits
// cross the network.
std::string remote_sha256(SftpClient& sftp, const std::string& remote_path);

// Copies a local file to `remote_path` unless a file with the same size and SHA-256 is already
// there. Written to "<remote_path>.lathe-part", checked by hash, then renamed: the remote path
// never holds a partial file. Throws SshError or core::Error naming the paths.
TransferResult upload_if_changed(SftpClient& sftp, const std::string& local_path,
                                 const std::string& remote_path,
                                 const TransferProgress& progress = {});

// Downloads `remote_path` to `local_path` with pipelined SFTP reads (`window` requests of
// `chunk_bytes` in flight; 32 KiB x 64 is OpenSSH sftp's own choice and measured fastest here,
// bench_remote). An interrupted download leaves
// "<local_path>.lathe-part"; calling again continues from its size. The result is checked
// against the remote size and SHA-256 before it is renamed into place; on a mismatch the part is
// deleted and the error says so.
TransferResult download_resumable(SftpClient& sftp, const std::string& remote_path,
                                  const std::string& local_path,
                                  const TransferProgress& progress = {},
                                  std::uint32_t chunk_bytes = 32 * 1024, int window = 64);

}  // namespace lathe::remote::ssh
