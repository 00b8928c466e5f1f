#include "remote/runs/file_mirror.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/util/error.h"
#include "core/util/unique_fd.h"
#include "remote/ssh/sftp_client.h"

namespace lathe::remote::runs {

MirrorResult mirror_append_only(ssh::SftpClient& sftp, const std::string& remote_path,
                                const std::string& local_path, std::uint64_t max_bytes) {
    MirrorResult result;
    const auto info = sftp.stat(remote_path);
    if (!info) {
        return result;
    }
    result.remote_exists = true;
    std::error_code ec;
    std::uint64_t local_bytes =
        std::filesystem::exists(local_path, ec) ? std::filesystem::file_size(local_path, ec) : 0;
    if (info->bytes < local_bytes) {
        // Shorter than our copy: the file was replaced (a run restarted in place). Ingestion
        // notices the shorter file the same way and reads it again from the start.
        std::filesystem::resize_file(local_path, 0);
        local_bytes = 0;
        result.restarted = true;
    }
    if (info->bytes == local_bytes) {
        return result;
    }
    const std::uint64_t want = std::min<std::uint64_t>(info->bytes - local_bytes, max_bytes);
    const std::string bytes = sftp.read_range(remote_path, local_bytes, want);
    const core::util::UniqueFd fd(
        ::open(local_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
        throw core::Error(local_path + ": cannot open for appending: " + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw core::Error(local_path + ": write failed: " + std::strerror(errno));
        }
        written += static_cast<std::size_t>(n);
    }
    result.bytes_appended = bytes.size();
    return result;
}

}  // namespace lathe::remote::runs
