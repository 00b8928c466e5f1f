#include "ui/hosts/install_job.h"

#include <QDateTime>

#include <filesystem>
#include <fstream>

#include "core/registry/registry.h"
#include "remote/runs/host_install.h"
#include "remote/runs/remote_host.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"

namespace lathe::ui::hosts {

namespace fs = std::filesystem;

InstallJob::InstallJob(core::run_manager::LathePaths paths, InstallRequest request,
                       remote::ssh::Prompts prompts, QObject* parent)
    : QObject(parent),
      paths_(core::run_manager::resolve_paths(std::move(paths))),
      request_(std::move(request)),
      prompts_(std::move(prompts)) {
    const fs::path dir =
        fs::path(paths_.registry_path).parent_path() / "hosts" / request_.host.toStdString();
    log_path_ = QString::fromStdString(
        (dir /
         ("install-" +
          QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")).toStdString() +
          ".log"))
            .string());
}

void InstallJob::run() {
    std::ofstream log;
    std::error_code ec;
    fs::create_directories(fs::path(log_path_.toStdString()).parent_path(), ec);
    log.open(log_path_.toStdString(), std::ios::app);
    auto say = [&](const std::string& text) {
        log << text << '\n';
        log.flush();
        emit line(QString::fromStdString(text));
        return !cancelled_;
    };
    try {
        auto registry = core::registry::Registry::open({paths_.registry_path});
        const auto host = remote::runs::find_remote_host(registry, request_.host.toStdString());
        say("@@lathe phase connect");
        auto session = remote::ssh::Session::connect(host.ssh, prompts_);
        remote::ssh::SftpClient sftp(*session);
        const auto installed = remote::runs::install_on_host(*session, sftp, host, request_.options,
                                                             [&](const std::string& text) {
                                                                 if (!text.empty()) {
                                                                     return say(text);
                                                                 }
                                                                 return !cancelled_;
                                                             });
        if (const auto updated =
                remote::runs::record_install(registry, host, request_.options, installed)) {
            say("host " + host.name + " now runs " + updated->worker_command);
        }
        emit finished(true, QString::fromStdString(installed.version), log_path_);
    } catch (const std::exception& e) {
        const std::string why = cancelled_ ? std::string("cancelled: ") + e.what() : e.what();
        log << "FAILED: " << why << '\n';
        emit finished(false, QString::fromStdString(why), log_path_);
    }
}

}  // namespace lathe::ui::hosts
