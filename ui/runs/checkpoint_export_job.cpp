#include "ui/runs/checkpoint_export_job.h"

#include <chrono>

#include "core/registry/registry.h"
#include "core/util/error.h"
#include "remote/runs/checkpoint_export.h"
#include "remote/runs/remote_host.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"

namespace lathe::ui::runs {

CheckpointExportJob::CheckpointExportJob(core::run_manager::LathePaths paths,
                                         CheckpointExportRequest request,
                                         remote::ssh::Prompts prompts,
                                         std::shared_ptr<std::atomic<bool>> cancelled,
                                         QObject* parent)
    : QObject(parent),
      paths_(std::move(paths)),
      request_(std::move(request)),
      prompts_(std::move(prompts)),
      cancelled_(std::move(cancelled)) {}

void CheckpointExportJob::run() {
    // Progress at most ~10 times a second: a signal per 4 MiB chunk would flood the UI thread.
    auto last = std::chrono::steady_clock::time_point{};
    auto report = [&](std::uint64_t done, std::uint64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (done == total || now - last > std::chrono::milliseconds(100)) {
            last = now;
            emit progress(static_cast<qint64>(done), static_cast<qint64>(total));
        }
    };
    try {
        const auto registry = core::registry::Registry::open({paths_.registry_path});
        const std::string id = request_.run_id.toStdString();
        const std::string folder = request_.checkpoint_path.toStdString();
        bool known = false;
        for (const auto& c : registry.checkpoints(id))
            known = known || (c.path == folder && c.present);
        // The path came from the UI thread: only a present checkpoint the registry lists.
        if (!known)
            throw core::Error(folder + " is not a present checkpoint of run " + id);
        const auto run = registry.get_run(id);
        const std::string parent = request_.destination_parent.toStdString();
        std::string exported;
        const std::string host = remote::runs::host_of_target(run.target);
        if (host.empty()) {
            exported =
                core::checkpoints::export_checkpoint(folder, parent, request_.content, report,
                                                     [this] { return cancelled_->load(); })
                    .path;
        } else {
            const auto remote_host = remote::runs::find_remote_host(registry, host);
            auto session = remote::ssh::Session::connect(remote_host.ssh, prompts_);
            if (*cancelled_)
                throw core::Error("export cancelled");
            remote::ssh::SftpClient sftp(*session);
            exported =
                remote::runs::export_remote_checkpoint(
                    sftp, folder, parent,
                    [&](std::uint64_t done, std::uint64_t total) {
                        if (cancelled_)
                            throw core::Error("export cancelled (running it again continues it)");
                        report(done, total);
                    },
                    request_.content)
                    .local_path;
        }
        emit finished(true, QString::fromStdString(exported));
    } catch (const std::exception& e) {
        emit finished(false, QString::fromStdString(e.what()));
    }
}

}  // namespace lathe::ui::runs
