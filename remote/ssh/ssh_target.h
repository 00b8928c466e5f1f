#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lathe::remote::ssh {

// Where to connect and how. Empty/zero fields take what ~/.ssh/config says for `host` (HostName,
// User, Port, IdentityFile, ProxyJump), then OpenSSH's defaults.
struct SshTarget {
    std::string host;  // a ~/.ssh/config alias, a host name or an address
    std::string name;  // what the user calls it, first in messages; empty: `host`
    std::string user;
    int port = 0;
    std::vector<std::string> identity_files;  // tried before the config's and the defaults
    std::string proxy_jump;                   // [user@]jumphost[:port], through OpenSSH's ssh -W
    std::string ssh_config_path;              // empty: ~/.ssh/config; "none": read no config
    std::string known_hosts_path;             // empty: ~/.ssh/known_hosts
    int connect_timeout_ms = 10000;
    // An idle connection is probed this often so a dead peer is noticed (0: never).
    int keepalive_interval_ms = 15000;
};

// Questions only the person at the keyboard can answer, asked while connecting. An empty
// function answers "no": an unknown host is refused, an encrypted key skipped, no password
// tried. Answers are never stored by Lathe.
struct Prompts {
    // A host not in known_hosts: its "host:port" and "SHA256:..." fingerprint. true trusts it
    // and records it in known_hosts.
    std::function<bool(const std::string& host, const std::string& fingerprint)> accept_new_host;
    // The passphrase of an encrypted key file, or nullopt to skip the key.
    std::function<std::optional<std::string>(const std::string& key_path)> passphrase;
    // Answer to a password or keyboard-interactive prompt, or nullopt to give up.
    std::function<std::optional<std::string>(const std::string& prompt, bool echo)> password;
};

}  // namespace lathe::remote::ssh
