#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "remote/runs/remote_host.h"

namespace lathe::core::registry {
class Registry;
}

namespace lathe::remote::runs {

// A host runs can target, as `lathe hosts list` and the studio's Hosts view show it.
struct ListedHost {
    RemoteHost host;
    bool added = false;   // in the registry (added by hand); else an ~/.ssh/config alias
    std::string from;     // "added" or the config's "path:line"
    std::string address;  // user@hostname:port as ssh would connect
};

// The registry's hosts (by name), then the aliases of `ssh_config_path` (empty: ~/.ssh/config)
// not added by hand, whose settings the registry's would override. Throws core::Error for a
// registry entry or config file that cannot be read, naming it.
std::vector<ListedHost> list_hosts(const core::registry::Registry& registry,
                                   const std::string& ssh_config_path = "");

// Checks a host spec before it is saved (`lathe hosts add`, the studio's Add host dialog): the
// name becomes the target ssh:NAME, so it must be a plain word; every other field as
// remote_host_from_json checks it. Throws core::Error naming `source` and the field.
RemoteHost validate_host_spec(const nlohmann::json& spec, const std::string& source);

}  // namespace lathe::remote::runs
