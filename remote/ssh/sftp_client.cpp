#include "remote/ssh/sftp_client.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <memory>

#include "remote/ssh/session.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::ssh {

namespace {

RemoteFileInfo info_of(sftp_attributes attributes) {
    RemoteFileInfo info;
    info.bytes = attributes->size;
    info.is_directory = attributes->type == SSH_FILEXFER_TYPE_DIRECTORY;
    info.modified_unix = attributes->mtime64 != 0 ? attributes->mtime64 : attributes->mtime;
    return info;
}

const char* sftp_error_text(int code) {
    switch (code) {
        case SSH_FX_NO_SUCH_FILE:
            return "no such file";
        case SSH_FX_PERMISSION_DENIED:
            return "permission denied";
        case SSH_FX_FAILURE:
            return "failure (a full disk, or the target exists)";
        case SSH_FX_FILE_ALREADY_EXISTS:
            return "already exists";
        default:
            return "error";
    }
}

}  // namespace

void SftpFileCloser::operator()(sftp_file_struct* file) const {
    sftp_close(file);
}

SftpClient::SftpClient(Session& session) : session_(session) {
    sftp_ = sftp_new(session.raw());
    if (sftp_ == nullptr) {
        session.fail("start SFTP");
    }
    if (sftp_init(sftp_) != SSH_OK) {
        const int code = sftp_get_error(sftp_);
        sftp_free(sftp_);
        sftp_ = nullptr;
        if (!session.connected()) {
            session.fail("start SFTP");
        }
        throw SshError(SshError::Kind::remote_failure,
                       "host " + session.label() + ": the SFTP subsystem did not start (code " +
                           std::to_string(code) + "); is sftp-server enabled in sshd_config?");
    }
}

SftpClient::~SftpClient() {
    if (sftp_ != nullptr) {
        sftp_free(sftp_);
    }
}

void SftpClient::fail(const std::string& what, const std::string& path) const {
    if (!session_.connected()) {
        throw SshError(
            SshError::Kind::disconnected,
            "host " + session_.label() + ": connection lost while trying to " + what + " " + path);
    }
    throw SshError(SshError::Kind::remote_failure, "host " + session_.label() + ": cannot " + what +
                                                       " " + path + ": " +
                                                       sftp_error_text(sftp_get_error(sftp_)));
}

std::optional<RemoteFileInfo> SftpClient::stat(const std::string& path) {
    sftp_attributes attributes = sftp_stat(sftp_, path.c_str());
    if (attributes == nullptr) {
        if (session_.connected() && sftp_get_error(sftp_) == SSH_FX_NO_SUCH_FILE) {
            return std::nullopt;
        }
        fail("stat", path);
    }
    const RemoteFileInfo info = info_of(attributes);
    sftp_attributes_free(attributes);
    return info;
}

std::vector<RemoteDirEntry> SftpClient::list(const std::string& path) {
    sftp_dir dir = sftp_opendir(sftp_, path.c_str());
    if (dir == nullptr) {
        fail("list", path);
    }
    std::vector<RemoteDirEntry> entries;
    while (sftp_attributes attributes = sftp_readdir(sftp_, dir)) {
        const std::string name = attributes->name != nullptr ? attributes->name : "";
        if (name != "." && name != "..") {
            entries.push_back({name, info_of(attributes)});
        }
        sftp_attributes_free(attributes);
    }
    const bool complete = sftp_dir_eof(dir) != 0;
    sftp_closedir(dir);
    if (!complete) {
        fail("list", path);
    }
    return entries;
}

std::string SftpClient::read_range(const std::string& path, std::uint64_t offset,
                                   std::size_t max_bytes) {
    SftpFile file(sftp_open(sftp_, path.c_str(), O_RDONLY, 0));
    if (!file) {
        fail("open", path);
    }
    if (sftp_seek64(file.get(), offset) != 0) {
        fail("seek in", path);
    }
    std::string out;
    std::vector<char> buffer(64 * 1024);
    while (out.size() < max_bytes) {
        const std::size_t want = std::min(buffer.size(), max_bytes - out.size());
        const ssize_t n = sftp_read(file.get(), buffer.data(), want);
        if (n < 0) {
            fail("read", path);
        }
        if (n == 0) {
            break;
        }
        out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return out;
}

std::string SftpClient::read_file(const std::string& path, std::size_t max_bytes) {
    return read_range(path, 0, max_bytes);
}

void SftpClient::write_file_atomic(const std::string& path, const std::string& bytes, int mode) {
    const std::string part = path + ".lathe-part";
    {
        SftpFile file(sftp_open(sftp_, part.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                static_cast<mode_t>(mode)));
        if (!file) {
            fail("create", part);
        }
        std::size_t written = 0;
        while (written < bytes.size()) {
            const std::size_t chunk = std::min<std::size_t>(bytes.size() - written, 32 * 1024);
            const ssize_t n = sftp_write(file.get(), bytes.data() + written, chunk);
            if (n <= 0) {
                fail("write", part);
            }
            written += static_cast<std::size_t>(n);
        }
    }
    rename(part, path);
}

void SftpClient::mkdir_p(const std::string& path, int mode) {
    std::string prefix;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t slash = path.find('/', pos);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        prefix = path.substr(0, end);
        pos = end + 1;
        if (prefix.empty() || prefix == "." || prefix == "~") {
            continue;
        }
        if (sftp_mkdir(sftp_, prefix.c_str(), static_cast<mode_t>(mode)) != 0) {
            const auto existing = stat(prefix);
            if (!existing || !existing->is_directory) {
                fail("create the folder", prefix);
            }
        }
    }
}

void SftpClient::rename(const std::string& from, const std::string& to) {
    // SFTP v3 rename refuses an existing target, and libssh 0.10 cannot send OpenSSH's
    // posix-rename extension; mv on the node is rename(2): atomic, and it replaces.
    session_.run_checked(shell_command({"mv", "-f", "--", from, to}),
                         "rename " + from + " to " + to);
}

void SftpClient::remove(const std::string& path) {
    if (sftp_unlink(sftp_, path.c_str()) != 0 && sftp_get_error(sftp_) != SSH_FX_NO_SUCH_FILE) {
        fail("remove", path);
    }
}

}  // namespace lathe::remote::ssh
