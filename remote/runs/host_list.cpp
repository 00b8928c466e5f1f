#include "remote/runs/host_list.h"

#include "core/registry/registry.h"
#include "core/util/error.h"
#include "remote/hosts/ssh_config.h"

namespace lathe::remote::runs {

namespace {

std::string address_of(const ssh::SshTarget& t) {
    return t.user + (t.user.empty() ? "" : "@") + t.host +
           (t.port != 0 ? ":" + std::to_string(t.port) : "");
}

}  // namespace

std::vector<ListedHost> list_hosts(const core::registry::Registry& registry,
                                   const std::string& ssh_config_path) {
    std::vector<ListedHost> out;
    for (const auto& [name, spec] : registry.list_hosts()) {
        ListedHost h;
        h.host = remote_host_from_json(spec, "host " + name);
        h.host.name = name;
        h.added = true;
        h.from = "added";
        h.address = address_of(h.host.ssh);
        out.push_back(std::move(h));
    }
    const std::string config =
        ssh_config_path.empty() ? hosts::default_ssh_config_path() : ssh_config_path;
    for (const auto& c : hosts::list_config_hosts(config)) {
        if (registry.find_host(c.alias)) {
            continue;  // added by hand: those settings win
        }
        ListedHost h;
        h.host = find_remote_host(registry, c.alias);
        if (!ssh_config_path.empty()) {
            h.host.ssh.ssh_config_path = ssh_config_path;
        }
        h.from = c.source;
        h.address = c.user + "@" + c.hostname + ":" + std::to_string(c.port);
        out.push_back(std::move(h));
    }
    return out;
}

RemoteHost validate_host_spec(const nlohmann::json& spec, const std::string& source) {
    const std::string name = spec.is_object() ? spec.value("name", std::string()) : "";
    if (name.empty() || name.find_first_of(" \t\n/:'\"\\$`;") != std::string::npos) {
        throw core::Error(source + ": host name '" + name +
                          "': use letters, digits, '-', '_' or '.' (it becomes the target "
                          "ssh:NAME)");
    }
    return remote_host_from_json(spec, source);
}

}  // namespace lathe::remote::runs
