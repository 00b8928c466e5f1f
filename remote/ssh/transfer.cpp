#include "remote/ssh/transfer.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/util/error.h"
#include "core/util/sha256.h"
#include "core/util/unique_fd.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::ssh {

namespace {

std::uint64_t local_size(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

// OpenSSL's SHA-256 (SHA-NI or tuned assembly) hashes several times faster than coreutils'
// sha256sum, which would otherwise finish long after a download; sha256sum where there is no
// openssl. Both print the hex digest first.
std::string sha256sum_command(const std::string& remote_path) {
    const std::string path = remote_path.rfind('-', 0) == 0 ? "./" + remote_path : remote_path;
    const std::string quoted = shell_quote(path);
    return "if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r " + quoted +
           "; else sha256sum -- " + quoted + "; fi";
}

std::string hash_from(const CommandResult& result, SftpClient& sftp,
                      const std::string& remote_path) {
    const std::string hex = result.out.substr(0, result.out.find(' '));
    if (result.exit_status != 0 || hex.size() != 64) {
        throw SshError(SshError::Kind::remote_failure,
                       "host " + sftp.session().label() + ": sha256sum could not hash " +
                           remote_path + " (exit status " + std::to_string(result.exit_status) +
                           ")");
    }
    return hex;
}

}  // namespace

std::string remote_sha256(SftpClient& sftp, const std::string& remote_path) {
    return hash_from(sftp.session().run(sha256sum_command(remote_path), 600000), sftp, remote_path);
}

TransferResult upload_if_changed(SftpClient& sftp, const std::string& local_path,
                                 const std::string& remote_path, const TransferProgress& progress) {
    TransferResult result;
    result.bytes = local_size(local_path);
    result.sha256 = core::util::sha256_file_hex(local_path);
    const auto existing = sftp.stat(remote_path);
    if (existing && !existing->is_directory && existing->bytes == result.bytes &&
        remote_sha256(sftp, remote_path) == result.sha256) {
        return result;
    }
    const std::string part = remote_path + ".lathe-part";
    const core::util::UniqueFd in(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
        throw core::Error(local_path + ": cannot open for upload: " + std::strerror(errno));
    }
    {
        SftpFile file(sftp_open(sftp.raw(), part.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
        if (!file) {
            sftp.fail("create", part);
        }
        std::vector<char> buffer(32 * 1024);
        while (true) {
            const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
            if (n < 0) {
                throw core::Error(local_path + ": read failed: " + std::strerror(errno));
            }
            if (n == 0) {
                break;
            }
            if (sftp_write(file.get(), buffer.data(), static_cast<std::size_t>(n)) != n) {
                sftp.fail("write", part);
            }
            result.bytes_sent += static_cast<std::uint64_t>(n);
            if (progress) {
                progress(result.bytes_sent, result.bytes);
            }
        }
    }
    if (remote_sha256(sftp, part) != result.sha256) {
        sftp.remove(part);
        throw SshError(SshError::Kind::remote_failure,
                       "host " + sftp.session().label() + ": " + remote_path +
                           ": the uploaded copy does not match " + local_path +
                           " (SHA-256 differs); nothing was kept");
    }
    sftp.rename(part, remote_path);
    result.transferred = true;
    return result;
}

TransferResult download_resumable(SftpClient& sftp, const std::string& remote_path,
                                  const std::string& local_path, const TransferProgress& progress,
                                  std::uint32_t chunk_bytes, int window) {
    TransferResult result;
    const auto info = sftp.stat(remote_path);
    if (!info || info->is_directory) {
        throw SshError(SshError::Kind::remote_failure,
                       "host " + sftp.session().label() + ": " + remote_path + " is not a file");
    }
    result.bytes = info->bytes;
    const std::string part = local_path + ".lathe-part";
    std::uint64_t offset = local_size(part);
    if (offset > result.bytes) {
        offset = 0;  // the remote file shrank: this part belongs to another version
    }
    result.resumed_from = offset;
    const core::util::UniqueFd out(
        ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : 0), 0644));
    if (out.get() < 0) {
        throw core::Error(part + ": cannot open for writing: " + std::strerror(errno));
    }
    SftpFile file(sftp_open(sftp.raw(), remote_path.c_str(), O_RDONLY, 0));
    if (!file) {
        sftp.fail("open", remote_path);
    }
    // The node hashes its file while the bytes travel (sha256sum reads it from the page cache
    // there), and the bytes are hashed here as they arrive: verification adds no second pass
    // over the data on either end.
    const auto remote_hash = sftp.session().start(sha256sum_command(remote_path));
    core::util::Sha256 local_hash;
    std::vector<char> buffer(std::max<std::uint32_t>(chunk_bytes, 1));
    for (std::uint64_t hashed = 0; hashed < offset;) {
        const ssize_t n = ::pread(out.get(), buffer.data(),
                                  std::min<std::uint64_t>(buffer.size(), offset - hashed),
                                  static_cast<off_t>(hashed));
        if (n <= 0) {
            throw core::Error(part + ": cannot read back: " + std::strerror(errno));
        }
        local_hash.update(buffer.data(), static_cast<std::size_t>(n));
        hashed += static_cast<std::uint64_t>(n);
    }
    struct Request {
        int id;
        std::uint64_t offset;
        std::uint32_t bytes;
    };
    std::deque<Request> in_flight;
    std::uint64_t next_request = offset;
    auto issue = [&] {
        while (static_cast<int>(in_flight.size()) < window && next_request < result.bytes) {
            const auto bytes = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(chunk_bytes, result.bytes - next_request));
            const int id = sftp_async_read_begin(file.get(), bytes);
            if (id < 0) {
                sftp.fail("request a block of", remote_path);
            }
            in_flight.push_back({id, next_request, bytes});
            next_request += bytes;
        }
    };
    if (sftp_seek64(file.get(), offset) != 0) {
        sftp.fail("seek in", remote_path);
    }
    issue();
    while (!in_flight.empty()) {
        const Request request = in_flight.front();
        in_flight.pop_front();
        const int n = sftp_async_read(file.get(), buffer.data(), request.bytes,
                                      static_cast<std::uint32_t>(request.id));
        if (n < 0) {
            sftp.fail("read", remote_path);
        }
        if (::pwrite(out.get(), buffer.data(), static_cast<std::size_t>(n),
                     static_cast<off_t>(request.offset)) != n) {
            throw core::Error(part + ": write failed: " + std::strerror(errno));
        }
        local_hash.update(buffer.data(), static_cast<std::size_t>(n));
        result.bytes_sent += static_cast<std::uint64_t>(n);
#ifdef __linux__
        // Start writing back as the data arrives, so that the fsync before the rename (a
        // verified file must survive a power cut) has little left to do.
        constexpr std::uint64_t kWriteBackBytes = 32u << 20;
        const std::uint64_t end = request.offset + static_cast<std::uint64_t>(n);
        if (end / kWriteBackBytes != request.offset / kWriteBackBytes) {
            const std::uint64_t from = (end / kWriteBackBytes - 1) * kWriteBackBytes;
            ::sync_file_range(out.get(), static_cast<off_t>(from),
                              static_cast<off_t>(kWriteBackBytes), SYNC_FILE_RANGE_WRITE);
        }
#endif
        if (progress) {
            progress(request.offset + static_cast<std::uint64_t>(n), result.bytes);
        }
        if (static_cast<std::uint32_t>(n) < request.bytes) {
            // A short block: the file changed, or the server caps reads (OpenSSH: 255 KiB).
            // The requests after it are for the wrong offsets: drain them, ask again from
            // where this one ended, with blocks no larger than the server gives.
            for (const Request& stale : in_flight) {
                sftp_async_read(file.get(), buffer.data(), stale.bytes,
                                static_cast<std::uint32_t>(stale.id));
            }
            in_flight.clear();
            if (n == 0) {
                break;  // end of file before the size stat said: the hash check will tell
            }
            chunk_bytes = static_cast<std::uint32_t>(n);
            next_request = request.offset + static_cast<std::uint64_t>(n);
            if (sftp_seek64(file.get(), next_request) != 0) {
                sftp.fail("seek in", remote_path);
            }
        }
        issue();
    }
    file.reset();
    if (::fsync(out.get()) != 0) {
        throw core::Error(part + ": fsync failed: " + std::strerror(errno));
    }
    result.sha256 = local_hash.hex();
    const std::string remote_hex = hash_from(remote_hash->wait(600000), sftp, remote_path);
    if (local_size(part) != result.bytes || result.sha256 != remote_hex) {
        std::filesystem::remove(part);
        throw SshError(SshError::Kind::remote_failure,
                       "host " + sftp.session().label() + ": download of " + remote_path +
                           " does not match the remote file (size or SHA-256 differ; it may "
                           "have changed during the transfer); the partial copy was deleted");
    }
    std::filesystem::rename(part, local_path);
    result.transferred = true;
    return result;
}

}  // namespace lathe::remote::ssh
