#include "remote/runs/checkpoint_export.h"

#include <filesystem>
#include <vector>

#include "core/util/error.h"
#include "core/util/file_io.h"
#include "core/util/sha256.h"
#include "remote/ssh/sftp_client.h"

namespace fs = std::filesystem;

namespace lathe::remote::runs {

namespace {

struct RemoteFile {
    std::string relative;
    std::uint64_t bytes = 0;
};

void list_files(ssh::SftpClient& sftp, const std::string& root, const std::string& relative,
                std::vector<RemoteFile>& out) {
    for (const auto& entry : sftp.list(relative.empty() ? root : root + "/" + relative)) {
        const std::string path = relative.empty() ? entry.name : relative + "/" + entry.name;
        if (entry.info.is_directory) {
            list_files(sftp, root, path, out);
        } else {
            out.push_back({path, entry.info.bytes});
        }
    }
}

}  // namespace

ExportResult export_remote_checkpoint(ssh::SftpClient& sftp, const std::string& remote_dir,
                                      const std::string& local_parent,
                                      const ssh::TransferProgress& progress,
                                      core::checkpoints::ExportContent content) {
    const std::string name = core::checkpoints::export_folder_name(remote_dir, content);
    ExportResult result;
    result.local_path = (fs::path(local_parent) / name).string();
    if (fs::exists(result.local_path)) {
        throw core::Error(result.local_path +
                          " already exists; export somewhere else or remove it");
    }
    std::vector<RemoteFile> files;
    list_files(sftp, remote_dir, "", files);
    std::vector<std::string> relative_paths;
    for (const auto& f : files)
        relative_paths.push_back(f.relative);
    std::vector<RemoteFile> chosen;
    for (const std::size_t i :
         core::checkpoints::files_to_export(remote_dir, relative_paths, content))
        chosen.push_back(files[i]);
    files = std::move(chosen);
    const fs::path part = fs::path(local_parent) / ("." + name + ".lathe-part");
    fs::create_directories(part);
    std::uint64_t total = 0;
    for (const auto& f : files) {
        total += f.bytes;
    }
    std::uint64_t done_before = 0;
    for (const auto& f : files) {
        const fs::path local = part / f.relative;
        fs::create_directories(local.parent_path());
        const std::string remote = remote_dir + "/" + f.relative;
        std::error_code ec;
        if (fs::is_regular_file(local, ec) && fs::file_size(local, ec) == f.bytes &&
            core::util::sha256_file_hex(local.string()) == ssh::remote_sha256(sftp, remote)) {
            ++result.files_reused;
        } else {
            fs::remove(local, ec);
            const auto transferred = ssh::download_resumable(
                sftp, remote, local.string(), [&](std::uint64_t done, std::uint64_t) {
                    if (progress) {
                        progress(done_before + done, total);
                    }
                });
            result.bytes_fetched += transferred.bytes_sent;
        }
        done_before += f.bytes;
        result.bytes += f.bytes;
        ++result.files;
    }
    fs::rename(part, result.local_path);
    core::util::sync_directory(local_parent);
    return result;
}

}  // namespace lathe::remote::runs
