#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lathe::remote::hosts {

// One host as OpenSSH's client would resolve it from a config file (`man ssh_config`). Only the
// settings Lathe shows or needs to connect; everything else in the file is ignored.
struct SshConfigHost {
    std::string alias;     // the name the user types: `ssh <alias>`
    std::string hostname;  // HostName, `%h` expanded; the alias when not set
    std::string user;      // User; the local user name when not set
    int port = 22;
    // IdentityFile values in the order ssh tries them, `~` and %-tokens expanded. Empty: ssh's
    // defaults (~/.ssh/id_*). "none" entries are dropped, as ssh drops them.
    std::vector<std::string> identity_files;
    std::string proxy_jump;  // verbatim ("user@jump:2222,other" or "none")
    // Verbatim, %-tokens unexpanded. ssh uses whichever of ProxyJump and ProxyCommand comes first,
    // so at most one of the two is set.
    std::string proxy_command;
    // "path:line" of the first Host line naming the alias, else of the first Host line whose
    // patterns match it (`Host *.cluster`, `Host *`); empty when no Host line matches.
    std::string source;
};

// Every concrete alias of a Host line (not `*`, `?` or `!` patterns), in file order, each
// resolved as ssh resolves it. A missing file is an empty list: most users have no config.
// Throws core::Error for an unreadable file (naming it) or a bad Port (naming "path:line").
std::vector<SshConfigHost> list_config_hosts(const std::string& path);

// The same resolution for any name, including names only patterns match (`Host *.cluster`):
// ssh connects to any name, with defaults where the file says nothing. nullopt only when the
// file does not exist.
std::optional<SshConfigHost> resolve_config_host(const std::string& path, const std::string& alias);

// $HOME/.ssh/config.
std::string default_ssh_config_path();

}  // namespace lathe::remote::hosts
