#include "remote/runs/ssh_launcher.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "core/launch/records.h"
#include "core/launch/signals.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"
#include "core/util/sha256.h"
#include "remote/runs/remote_run_files.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"
#include "remote/ssh/transfer.h"

namespace fs = std::filesystem;

namespace lathe::remote::runs {

namespace {

constexpr int kSupervisorStartTimeoutMs = 20000;

// Uploads one local file or folder into the content-addressed store; returns its node path.
std::string upload_into_store(ssh::SftpClient& sftp, const std::string& local,
                              const std::string& store) {
    const fs::path path(local);
    if (fs::is_regular_file(path)) {
        const std::string digest = core::util::sha256_file_hex(local);
        const std::string dir = store + "/" + digest;
        sftp.mkdir_p(dir);
        const std::string remote = dir + "/" + path.filename().string();
        ssh::upload_if_changed(sftp, local, remote);
        return remote;
    }
    if (!fs::is_directory(path)) {
        throw core::Error(local + ": named by run.json, but neither a file nor a folder");
    }
    // A folder (a model or tokenizer): its files' relative paths and hashes name it.
    std::vector<std::pair<std::string, std::string>> files;
    std::string manifest;
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) {
            const std::string relative = fs::relative(entry.path(), path).string();
            const std::string digest = core::util::sha256_file_hex(entry.path().string());
            files.emplace_back(relative, entry.path().string());
            manifest += relative + "\n" + digest + "\n";
        }
    }
    std::sort(files.begin(), files.end());
    const std::string root =
        store + "/" + core::util::sha256_hex(manifest) + "/" + path.filename().string();
    for (const auto& [relative, local_file] : files) {
        const std::string remote = root + "/" + relative;
        sftp.mkdir_p(fs::path(remote).parent_path().string());
        ssh::upload_if_changed(sftp, local_file, remote);
    }
    return root;
}

}  // namespace

std::string remote_absolute(ssh::Session& session, const std::string& path) {
    if (!path.empty() && path.front() == '/') {
        return path;
    }
    std::string relative = path;
    if (relative.rfind("~/", 0) == 0) {
        relative = relative.substr(2);
    }
    return session.home() + "/" + relative;
}

nlohmann::json prepare_remote_run_json(ssh::SftpClient& sftp, const nlohmann::json& local_run_json,
                                       const std::string& remote_runs_root,
                                       const std::string& remote_run_dir) {
    nlohmann::json j = local_run_json;
    const std::string store = remote_runs_root + "/.lathe-files";
    auto replace = [&](nlohmann::json& value) {
        if (value.is_string() && !value.get<std::string>().empty()) {
            value = upload_into_store(sftp, value.get<std::string>(), store);
        }
    };
    if (j.contains("model") && j["model"].contains("path")) {
        replace(j["model"]["path"]);
    }
    if (j.contains("tokenizer") && j["tokenizer"].contains("path")) {
        replace(j["tokenizer"]["path"]);
    }
    if (j.contains("dataset")) {
        for (const char* key : {"train_files", "eval_files"}) {
            if (j["dataset"].contains(key) && j["dataset"][key].is_array()) {
                for (auto& file : j["dataset"][key]) {
                    replace(file);
                }
            }
        }
        // The laptop's cache folder means nothing on the node: the node's default.
        if (j["dataset"].contains("cache_dir")) {
            j["dataset"]["cache_dir"] = "";
        }
    }
    j["training_args"]["output_dir"] = remote_run_dir;
    return j;
}

SshLauncher::Started SshLauncher::start(const core::registry::Registry& registry,
                                        const core::registry::RunRecord& run) {
    const RemoteHost host = resolve_(registry, host_of_target(run.target));
    try {
        auto& connection = pool_.get(host);
        ssh::Session& session = *connection.session;
        ssh::SftpClient& sftp = *connection.sftp;
        const auto version = session.run(host.worker_command + " --version", 120000);
        if (version.exit_status != 0) {
            throw core::Error("host " + host.name + ": the worker command '" + host.worker_command +
                              "' does not run there (exit status " +
                              std::to_string(version.exit_status) + ": " +
                              ssh::last_line(version.err.empty() ? version.out : version.err) +
                              "); install Lathe on the node or set the host's worker command");
        }
        const std::string root = remote_absolute(session, host.runs_dir);
        const std::string remote_dir = root + "/" + run.id;
        sftp.mkdir_p(remote_dir);
        const nlohmann::json remote_json =
            prepare_remote_run_json(sftp, run.config, root, remote_dir);
        sftp.write_file_atomic(remote_dir + "/run.json", remote_json.dump(2) + "\n");
        write_remote_location(run.run_dir, {host.name, remote_dir, host.supervisor_command});

        // sh -c 'exec WORKER "$@"' passes the quoted arguments through untouched while the
        // worker command stays a shell fragment (a wrapper, an absolute path, PATH lookup).
        const std::string worker_script = "exec " + host.worker_command + " \"$@\"";
        std::vector<std::string> arguments = {
            "--run-dir",   remote_dir,     "--",
            "/bin/sh",     "-c",           worker_script,
            "lathe-train", "--config",     remote_dir + "/run.json",
            "--run-dir",   remote_dir,     "--run-id",
            run.id,        "--no-progress"};
        // The node's lathe-train starts the ranks itself (one per GPU there, or CPU processes).
        const auto processes = core::run_manager::run_processes(run.run_dir);
        if (processes > 1) {
            arguments.push_back("--nproc-per-node");
            arguments.push_back(std::to_string(processes));
        }
        const std::string command = "cd " + ssh::shell_quote(remote_dir) + " && setsid -f " +
                                    host.supervisor_command + " " + ssh::shell_command(arguments) +
                                    " </dev/null >/dev/null 2>&1";
        session.run_checked(command, "start the run's supervisor", 30000);

        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(kSupervisorStartTimeoutMs);
        const std::string record_path = remote_dir + "/" + core::launch::kSupervisorRecordFile;
        while (!sftp.stat(record_path)) {
            if (std::chrono::steady_clock::now() > deadline) {
                const std::string log =
                    sftp.stat(remote_dir + "/supervisor.log")
                        ? ssh::last_line(sftp.read_file(remote_dir + "/supervisor.log", 4096))
                        : "no supervisor.log";
                throw core::Error("host " + host.name + ": the supervisor (" +
                                  host.supervisor_command + ") did not start the run in " +
                                  remote_dir + " within " +
                                  std::to_string(kSupervisorStartTimeoutMs / 1000) + " s: " + log);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        const auto record = core::launch::supervisor_record_from_json(
            nlohmann::json::parse(sftp.read_file(record_path)), host.name + ":" + record_path);
        return {host.name, static_cast<int>(record.supervisor_pid)};
    } catch (const ssh::SshError&) {
        pool_.drop(host.name);
        throw;
    }
}

void SshLauncher::signal(const core::registry::Registry& registry,
                         const core::registry::RunRecord& run, int sig) {
    const RemoteRunLocation location = read_remote_location(run.run_dir);
    const RemoteHost host = resolve_(registry, location.host);
    try {
        auto& connection = pool_.get(host);
        const auto result = connection.session->run(
            location.supervisor_command + " " +
                ssh::shell_command(
                    {"--signal", core::launch::signal_name(sig), location.remote_run_dir}),
            30000);
        if (result.exit_status != 0) {
            throw core::Error("run " + run.id + " on host " + host.name + ": " +
                              ssh::last_line(result.err.empty() ? result.out : result.err));
        }
    } catch (const ssh::SshError&) {
        pool_.drop(host.name);
        throw;
    }
}

}  // namespace lathe::remote::runs
