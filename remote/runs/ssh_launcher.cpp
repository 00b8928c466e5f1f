#include "remote/runs/ssh_launcher.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include "core/launch/records.h"
#include "core/launch/signals.h"
#include "core/run_manager/gpu_lists.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"
#include "core/util/sha256.h"
#include "remote/runs/remote_run_files.h"
#include "remote/slurm/sbatch_script.h"
#include "remote/slurm/slurm_client.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"
#include "remote/ssh/transfer.h"

namespace fs = std::filesystem;

extern char** environ;

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

namespace {

// torchrunx's defaults, plus Gloo's interface choice: what a multi-node job's ranks get from the
// machine that launched it.
const char* const kDefaultForwardedEnv[] = {"CUDA*", "NCCL*",           "TORCH*",
                                            "GLOO*", "LD_LIBRARY_PATH", "PATH"};

bool env_name_matches(const std::string& name, const std::string& pattern) {
    if (!pattern.empty() && pattern.back() == '*')
        return name.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
    return name == pattern;
}

int pick_master_port() {
    std::random_device random;
    return 29500 + static_cast<int>(random() % 10000);
}

// One node of a run being started.
struct Node {
    RemoteHost host;
    std::string remote_dir;
};

RemoteRunLocation location_of(const Node& node) {
    RemoteRunLocation location;
    location.host = node.host.name;
    location.remote_run_dir = node.remote_dir;
    location.supervisor_command = node.host.supervisor_command;
    return location;
}

// Checks the worker, uploads the run's files and writes the node's run.json.
Node prepare_node(SessionPool& pool, const RemoteHost& host, const core::registry::RunRecord& run) {
    auto& connection = pool.get(host);
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
    const nlohmann::json remote_json = prepare_remote_run_json(sftp, run.config, root, remote_dir);
    sftp.write_file_atomic(remote_dir + "/run.json", remote_json.dump(2) + "\n");
    return {host, remote_dir};
}

// Starts the node's supervisor detached (setsid: it outlives the SSH connection).
void start_node(SessionPool& pool, const Node& node, const core::registry::RunRecord& run,
                const std::vector<std::string>& rank_arguments,
                const std::vector<std::pair<std::string, std::string>>& env) {
    auto& connection = pool.get(node.host);
    // sh -c 'exec WORKER "$@"' passes the quoted arguments through untouched while the
    // worker command stays a shell fragment (a wrapper, an absolute path, PATH lookup).
    const std::string worker_script = "exec " + node.host.worker_command + " \"$@\"";
    std::vector<std::string> arguments = {"--run-dir", node.remote_dir};
    for (const auto& [name, value] : env) {
        arguments.push_back("--env");
        arguments.push_back(name + "=" + value);
    }
    for (const auto& a : {std::string("--"), std::string("/bin/sh"), std::string("-c"),
                          worker_script, std::string("lathe-train"), std::string("--config"),
                          node.remote_dir + "/run.json", std::string("--run-dir"), node.remote_dir,
                          std::string("--run-id"), run.id, std::string("--no-progress")})
        arguments.push_back(a);
    arguments.insert(arguments.end(), rank_arguments.begin(), rank_arguments.end());
    const std::string command = "cd " + ssh::shell_quote(node.remote_dir) + " && setsid -f " +
                                node.host.supervisor_command + " " + ssh::shell_command(arguments) +
                                " </dev/null >/dev/null 2>&1";
    connection.session->run_checked(command, "start the run's supervisor", 30000);
}

// Waits for the node's supervisor.json; returns the supervisor's pid.
int wait_for_supervisor(SessionPool& pool, const Node& node) {
    ssh::SftpClient& sftp = *pool.get(node.host).sftp;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kSupervisorStartTimeoutMs);
    const std::string record_path = node.remote_dir + "/" + core::launch::kSupervisorRecordFile;
    while (!sftp.stat(record_path)) {
        if (std::chrono::steady_clock::now() > deadline) {
            const std::string log =
                sftp.stat(node.remote_dir + "/supervisor.log")
                    ? ssh::last_line(sftp.read_file(node.remote_dir + "/supervisor.log", 4096))
                    : "no supervisor.log";
            throw core::Error("host " + node.host.name + ": the supervisor (" +
                              node.host.supervisor_command + ") did not start the run in " +
                              node.remote_dir + " within " +
                              std::to_string(kSupervisorStartTimeoutMs / 1000) + " s: " + log);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto record = core::launch::supervisor_record_from_json(
        nlohmann::json::parse(sftp.read_file(record_path)), node.host.name + ":" + record_path);
    return static_cast<int>(record.supervisor_pid);
}

void signal_node(SessionPool& pool, const RemoteHost& host, const RemoteRunLocation& location,
                 const std::string& run_id, int sig) {
    auto& connection = pool.get(host);
    const auto result =
        connection.session->run(location.supervisor_command + " " +
                                    ssh::shell_command({"--signal", core::launch::signal_name(sig),
                                                        location.remote_run_dir}),
                                30000);
    if (result.exit_status != 0) {
        throw core::Error("run " + run_id + " on host " + host.name + ": " +
                          ssh::last_line(result.err.empty() ? result.out : result.err));
    }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> forwarded_environment(
    const std::vector<std::string>& patterns) {
    std::vector<std::pair<std::string, std::string>> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0)
            continue;
        const std::string name = entry.substr(0, eq);
        for (const auto& pattern : patterns) {
            if (env_name_matches(name, pattern)) {
                out.emplace_back(name, entry.substr(eq + 1));
                break;
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> forwarded_env_patterns() {
    const char* configured = std::getenv("LATHE_FORWARD_ENV");
    if (configured == nullptr)
        return {std::begin(kDefaultForwardedEnv), std::end(kDefaultForwardedEnv)};
    std::vector<std::string> patterns;
    std::string current;
    for (const char* c = configured;; ++c) {
        if (*c == ',' || *c == '\0') {
            if (!current.empty())
                patterns.push_back(current);
            current.clear();
            if (*c == '\0')
                break;
        } else if (*c != ' ') {
            current += *c;
        }
    }
    return patterns;
}

SshLauncher::Started SshLauncher::start_slurm(const core::registry::Registry& registry,
                                              const core::registry::RunRecord& run) {
    const RemoteHost host = resolve_(registry, host_of_target(run.target));
    const auto meta = core::run_manager::read_run_metadata(run.run_dir);
    const nlohmann::json options = meta.slurm.is_object() ? meta.slurm : nlohmann::json::object();
    slurm::SbatchSpec spec;
    std::string prefix;
    try {
        spec = slurm::sbatch_spec_from_options(options);
        prefix = options.value("command_prefix", std::string());
    } catch (const std::exception& e) {
        throw core::Error("run " + run.id + ": lathe-run.json \"slurm\": " + e.what());
    }
    spec.run_id = run.id;
    spec.tasks_per_node = meta.processes;
    spec.worker_command = host.worker_command;
    spec.master_port = pick_master_port();
    try {
        auto& connection = pool_.get(host);
        // The runs folder on the login node must be shared with the compute nodes.
        const std::string root = remote_absolute(*connection.session, host.runs_dir);
        spec.run_dir = root + "/" + run.id;
        const std::string script = slurm::sbatch_script(spec);  // refuses bad values first
        connection.sftp->mkdir_p(spec.run_dir);
        const nlohmann::json remote_json =
            prepare_remote_run_json(*connection.sftp, run.config, root, spec.run_dir);
        connection.sftp->write_file_atomic(spec.run_dir + "/run.json", remote_json.dump(2) + "\n");
        RemoteRunLocation location = location_of({host, spec.run_dir});
        location.slurm_command_prefix = prefix;
        slurm::SlurmClient client(*connection.session, *connection.sftp, prefix);
        location.slurm_job_id = client.submit(script, spec.run_dir + "/lathe-job.sbatch");
        write_remote_location(run.run_dir, location);
        return {host.name, 0};
    } catch (const ssh::SshError&) {
        pool_.drop(host.name);
        throw;
    }
}

SshLauncher::Started SshLauncher::start(const core::registry::Registry& registry,
                                        const core::registry::RunRecord& run) {
    if (is_slurm_target(run.target))
        return start_slurm(registry, run);
    const auto meta = core::run_manager::read_run_metadata_or_defaults(run.run_dir);
    std::vector<std::string> names{host_of_target(run.target)};
    names.insert(names.end(), meta.extra_hosts.begin(), meta.extra_hosts.end());
    const auto processes = meta.processes;
    std::vector<Node> nodes;
    std::vector<std::string> started;  // host names whose supervisor may be running
    std::string current = names.front();
    try {
        for (const auto& name : names) {
            current = name;
            nodes.push_back(prepare_node(pool_, resolve_(registry, name), run));
        }
        RemoteRunLocation location = location_of(nodes[0]);
        for (std::size_t n = 1; n < nodes.size(); ++n)
            location.other_nodes.push_back(location_of(nodes[n]));
        write_remote_location(run.run_dir, location);

        // Each node's lathe-train starts its ranks (one per GPU there, or CPU processes); ranks
        // are contiguous per node and node 0, the target's host, holds rank 0.
        std::vector<std::pair<std::string, std::string>> env;
        std::vector<std::string> common;
        if (nodes.size() > 1) {
            env = forwarded_environment(forwarded_env_patterns());
            common = {"--nproc-per-node", std::to_string(processes),
                      "--nnodes",         std::to_string(nodes.size()),
                      "--master-addr",    nodes[0].host.ssh.host,
                      "--master-port",    std::to_string(pick_master_port())};
        } else if (processes > 1) {
            common = {"--nproc-per-node", std::to_string(processes)};
        }
        // The run's GPU list (the same on every node, or one per node) wins over a forwarded
        // CUDA_VISIBLE_DEVICES.
        std::vector<std::string> node_names;
        for (const auto& node : nodes)
            node_names.push_back(node.host.name);
        const auto gpu_lists = core::run_manager::gpu_lists_per_host(meta.gpus, node_names);
        if (!meta.gpus.empty()) {
            env.erase(
                std::remove_if(env.begin(), env.end(),
                               [](const auto& kv) { return kv.first == "CUDA_VISIBLE_DEVICES"; }),
                env.end());
        }
        for (std::size_t n = 0; n < nodes.size(); ++n) {
            current = nodes[n].host.name;
            auto arguments = common;
            if (nodes.size() > 1) {
                arguments.push_back("--node-rank");
                arguments.push_back(std::to_string(n));
            }
            auto node_env = env;
            if (!gpu_lists[n].empty())
                node_env.emplace_back("CUDA_VISIBLE_DEVICES", gpu_lists[n]);
            started.push_back(nodes[n].host.name);
            start_node(pool_, nodes[n], run, arguments, node_env);
        }
        int pid = 0;
        for (std::size_t n = 0; n < nodes.size(); ++n) {
            current = nodes[n].host.name;
            const int supervisor = wait_for_supervisor(pool_, nodes[n]);
            if (n == 0)
                pid = supervisor;
        }
        return {nodes[0].host.name, pid};
    } catch (...) {
        // Nothing half-starts: nodes already running are killed before the error goes up.
        for (std::size_t n = 0; n < nodes.size() && n < started.size(); ++n) {
            try {
                signal_node(pool_, nodes[n].host, location_of(nodes[n]), run.id, SIGKILL);
            } catch (...) {
                // The node may not have got as far as a supervisor; the first error matters.
            }
        }
        try {
            throw;
        } catch (const ssh::SshError&) {
            pool_.drop(current);
            throw;
        }
    }
}

void SshLauncher::signal(const core::registry::Registry& registry,
                         const core::registry::RunRecord& run, int sig) {
    const RemoteRunLocation location = read_remote_location(run.run_dir);
    if (!location.slurm_job_id.empty()) {
        // Stop and save-now reach the ranks as signals (they save, then stop or go on); a kill
        // cancels the job.
        const RemoteHost host = resolve_(registry, location.host);
        try {
            auto& connection = pool_.get(host);
            slurm::SlurmClient client(*connection.session, *connection.sftp,
                                      location.slurm_command_prefix);
            std::string name = core::launch::signal_name(sig);
            if (name.rfind("SIG", 0) == 0)
                name = name.substr(3);
            client.cancel(location.slurm_job_id, sig == SIGKILL ? "" : name);
        } catch (const ssh::SshError&) {
            pool_.drop(host.name);
            throw;
        }
        return;
    }
    // Node 0 holds rank 0: its answer is the one reported. The other nodes are told too, as best
    // effort: a stop spreads through the ranks' agreement (their jobs may be gone by the time
    // they are asked), a kill through their failing collectives.
    const RemoteHost host = resolve_(registry, location.host);
    try {
        signal_node(pool_, host, location, run.id, sig);
    } catch (const ssh::SshError&) {
        pool_.drop(host.name);
        throw;
    }
    for (const auto& node : location.other_nodes) {
        try {
            signal_node(pool_, resolve_(registry, node.host), node, run.id, sig);
        } catch (const ssh::SshError&) {
            pool_.drop(node.host);
        } catch (const core::Error&) {
            // Already ended there.
        }
    }
}

}  // namespace lathe::remote::runs
