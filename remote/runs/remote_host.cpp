#include "remote/runs/remote_host.h"

#include "core/registry/registry.h"
#include "core/util/error.h"

namespace lathe::remote::runs {

namespace {

template <typename T>
T field(const nlohmann::json& j, const char* key, const T& fallback, const std::string& source) {
    if (!j.contains(key) || j.at(key).is_null()) {
        return fallback;
    }
    try {
        return j.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw core::Error(source + ": field '" + key + "' has the wrong type (" + j.at(key).dump() +
                          ")");
    }
}

}  // namespace

nlohmann::json to_json(const RemoteHost& host) {
    return {
        {"name", host.name},
        {"host", host.ssh.host},
        {"user", host.ssh.user},
        {"port", host.ssh.port},
        {"identity_files", host.ssh.identity_files},
        {"proxy_jump", host.ssh.proxy_jump},
        {"connect_timeout_ms", host.ssh.connect_timeout_ms},
        {"ssh_config_path", host.ssh.ssh_config_path},
        {"known_hosts_path", host.ssh.known_hosts_path},
        {"worker_command", host.worker_command},
        {"supervisor_command", host.supervisor_command},
        {"runs_dir", host.runs_dir},
    };
}

RemoteHost remote_host_from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object()) {
        throw core::Error(source + ": a host must be a JSON object");
    }
    RemoteHost host;
    host.name = field<std::string>(j, "name", "", source);
    host.ssh.host = field<std::string>(j, "host", host.name, source);
    host.ssh.user = field<std::string>(j, "user", "", source);
    host.ssh.port = field<int>(j, "port", 0, source);
    host.ssh.identity_files = field<std::vector<std::string>>(j, "identity_files", {}, source);
    host.ssh.proxy_jump = field<std::string>(j, "proxy_jump", "", source);
    host.ssh.connect_timeout_ms = field<int>(j, "connect_timeout_ms", 10000, source);
    host.ssh.ssh_config_path = field<std::string>(j, "ssh_config_path", "", source);
    host.ssh.known_hosts_path = field<std::string>(j, "known_hosts_path", "", source);
    host.worker_command = field<std::string>(j, "worker_command", "lathe-train", source);
    host.supervisor_command =
        field<std::string>(j, "supervisor_command", "lathe-supervisor", source);
    host.runs_dir = field<std::string>(j, "runs_dir", "lathe-runs", source);
    host.ssh.name = host.name;
    if (host.ssh.host.empty()) {
        throw core::Error(source + ": field 'host' is empty");
    }
    if (host.ssh.port < 0 || host.ssh.port > 65535) {
        throw core::Error(source + ": field 'port' is " + std::to_string(host.ssh.port) +
                          ", not in 1..65535");
    }
    if (host.ssh.connect_timeout_ms < 100) {
        throw core::Error(source + ": field 'connect_timeout_ms' is " +
                          std::to_string(host.ssh.connect_timeout_ms) + "; at least 100");
    }
    for (const char* key : {"worker_command", "supervisor_command", "runs_dir"}) {
        if (field<std::string>(j, key, "x", source).empty()) {
            throw core::Error(source + ": field '" + key + "' is empty");
        }
    }
    return host;
}

RemoteHost find_remote_host(const core::registry::Registry& registry, const std::string& name) {
    if (auto spec = registry.find_host(name)) {
        RemoteHost host = remote_host_from_json(*spec, registry.path() + ": host '" + name + "'");
        host.name = name;
        host.ssh.name = name;
        return host;
    }
    RemoteHost host;
    host.name = name;
    host.ssh.host = name;
    host.ssh.name = name;
    return host;
}

std::string target_for_host(const std::string& name) {
    return "ssh:" + name;
}

std::string host_of_target(const std::string& target) {
    if (target.rfind("ssh:", 0) == 0)
        return target.substr(4);
    if (is_slurm_target(target))
        return target.substr(6);
    return "";
}

bool is_slurm_target(const std::string& target) {
    return target.rfind("slurm:", 0) == 0;
}

}  // namespace lathe::remote::runs
