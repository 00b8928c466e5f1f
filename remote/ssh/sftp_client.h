#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sftp_session_struct;
struct sftp_file_struct;

namespace lathe::remote::ssh {

class Session;

// An open SFTP file handle, closed when it goes away.
struct SftpFileCloser {
    void operator()(sftp_file_struct* file) const;
};
using SftpFile = std::unique_ptr<sftp_file_struct, SftpFileCloser>;

struct RemoteFileInfo {
    std::uint64_t bytes = 0;
    bool is_directory = false;
    std::uint64_t modified_unix = 0;
};

struct RemoteDirEntry {
    std::string name;
    RemoteFileInfo info;
};

// The SFTP subsystem of a Session (which must outlive it). Relative paths start in the remote
// home directory. Every failure throws SshError naming the host and the remote path:
// disconnected when the connection broke, remote_failure otherwise.
class SftpClient {
  public:
    explicit SftpClient(Session& session);
    ~SftpClient();
    SftpClient(const SftpClient&) = delete;
    SftpClient& operator=(const SftpClient&) = delete;

    // nullopt when nothing is at `path`.
    std::optional<RemoteFileInfo> stat(const std::string& path);
    std::vector<RemoteDirEntry> list(const std::string& path);  // without "." and ".."
    // Bytes [offset, offset + max_bytes) of a file, fewer at its end; "" at or past the end.
    std::string read_range(const std::string& path, std::uint64_t offset, std::size_t max_bytes);
    std::string read_file(const std::string& path, std::size_t max_bytes = 64u << 20);
    // Writes to "<path>.lathe-part" and renames over `path`: a reader sees the old file or the
    // whole new one, never a part.
    void write_file_atomic(const std::string& path, const std::string& bytes, int mode = 0644);
    void mkdir_p(const std::string& path, int mode = 0755);
    void rename(const std::string& from, const std::string& to);  // replaces `to`
    void remove(const std::string& path);                         // a file; no error if absent

    Session& session() { return session_; }
    sftp_session_struct* raw() const { return sftp_; }
    [[noreturn]] void fail(const std::string& what, const std::string& path) const;

  private:
    Session& session_;
    sftp_session_struct* sftp_ = nullptr;
};

}  // namespace lathe::remote::ssh
