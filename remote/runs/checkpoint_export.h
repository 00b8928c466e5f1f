#pragma once

#include <cstdint>
#include <string>

#include "core/checkpoints/checkpoint_export.h"
#include "remote/ssh/transfer.h"

namespace lathe::remote::ssh {
class SftpClient;
}

namespace lathe::remote::runs {

struct ExportResult {
    std::string local_path;  // <local_parent>/<checkpoint folder name>
    int files = 0;
    int files_reused = 0;  // already fetched by an interrupted export, hash checked
    std::uint64_t bytes = 0;
    std::uint64_t bytes_fetched = 0;
};

// Copies a checkpoint folder from the node into `local_parent` (all of it, or only the model:
// core::checkpoints::ExportContent, named by export_folder_name as for a local export). It must
// be complete (hold trainer_state.json). Files land in "<local_parent>/.<name>.lathe-part/" first,
// each verified by size and SHA-256 (download_resumable), and the folder is renamed into place only
// when every file is there: an interrupted export never looks like a checkpoint, and running it
// again continues it (whole files already fetched are kept once their hash matches, a partial one
// resumes). Throws core::Error when the target exists, SshError for the connection.
ExportResult export_remote_checkpoint(
    ssh::SftpClient& sftp, const std::string& remote_dir, const std::string& local_parent,
    const ssh::TransferProgress& progress = {},
    core::checkpoints::ExportContent content = core::checkpoints::ExportContent::full);

}  // namespace lathe::remote::runs
