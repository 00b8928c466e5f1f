#include "remote/hosts/ssh_config.h"

#include <pwd.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "remote/hosts/ssh_config_file.h"

namespace lathe::remote::hosts {
namespace {

using detail::ConfigLine;
using detail::ConfigLines;
using detail::LineKind;

// What the file said for one name: ssh keeps the first value it obtains for each keyword.
struct Obtained {
    std::optional<std::string> hostname, user, proxy_jump, proxy_command;
    std::optional<int> port;
    std::vector<std::string> identity_files;  // unexpanded; IdentityFile accumulates
    std::string named_source, matched_source;
};

// ssh's match_pattern: `*` any run, `?` one character, case-sensitive.
bool wildcard_match(const char* s, const char* p) {
    for (; *p != '\0'; ++p, ++s) {
        if (*p == '*') {
            for (const char* rest = s;; ++rest) {
                if (wildcard_match(rest, p + 1)) {
                    return true;
                }
                if (*rest == '\0') {
                    return false;
                }
            }
        }
        if (*s == '\0' || (*p != '?' && *p != *s)) {
            return false;
        }
    }
    return *s == '\0';
}

bool is_concrete(const std::string& pattern) {
    return pattern[0] != '!' && pattern.find_first_of("*?") == std::string::npos;
}

// A Host line applies when one pattern matches and no negated pattern does.
bool host_line_matches(const std::vector<std::string>& patterns, const std::string& name) {
    bool matched = false;
    for (const std::string& pattern : patterns) {
        bool negated = pattern[0] == '!';
        if (wildcard_match(name.c_str(), pattern.c_str() + (negated ? 1 : 0))) {
            if (negated) {
                return false;
            }
            matched = true;
        }
    }
    return matched;
}

void set_once(std::optional<std::string>& slot, const std::string& value) {
    if (!slot) {
        slot = value;
    }
}

// ssh's read_config_file_depth: `active` is the Host/Match state; an Include inside a block that
// does not apply is read with `never_match`, and cannot change the includer's state.
void apply(const ConfigLines& lines, const std::string& name, bool never_match, bool& active,
           Obtained& got) {
    for (const ConfigLine& line : lines) {
        switch (line.kind) {
            case LineKind::Host:
                active = !never_match && host_line_matches(line.args, name);
                if (active && got.matched_source.empty()) {
                    got.matched_source = line.source;
                }
                if (active && got.named_source.empty() &&
                    std::find(line.args.begin(), line.args.end(), name) != line.args.end()) {
                    got.named_source = line.source;
                }
                break;
            case LineKind::Match:
                // Only `Match all` is evaluated; other criteria (exec, user, canonical...) need
                // ssh's connection state, so their blocks are left out rather than guessed.
                active = !never_match && line.args.size() == 1 &&
                         ::strcasecmp(line.args[0].c_str(), "all") == 0;
                break;
            case LineKind::Include: {
                const bool outer = active;
                for (const ConfigLines& file : line.included) {
                    apply(file, name, never_match || !outer, active, got);
                    active = outer;
                }
                break;
            }
            case LineKind::Setting:
                if (!active) {
                    break;
                }
                const std::string& value = line.args[0];
                if (line.keyword == "hostname") {
                    set_once(got.hostname, value);
                } else if (line.keyword == "user") {
                    set_once(got.user, value);
                } else if (line.keyword == "port") {
                    if (!got.port) {
                        got.port = detail::parse_port(value, line.source);
                    }
                } else if (line.keyword == "identityfile") {
                    got.identity_files.push_back(value);
                } else if (!got.proxy_jump && !got.proxy_command) {
                    // ProxyJump and ProxyCommand share one slot in ssh: the first one wins.
                    if (line.keyword == "proxyjump") {
                        got.proxy_jump = value;
                    } else if (line.keyword == "proxycommand") {
                        // The command is the rest of the line, as ssh joins its words.
                        std::string command;
                        for (const std::string& word : line.args) {
                            command += (command.empty() ? "" : " ") + word;
                        }
                        got.proxy_command = command;
                    }
                }
                break;
        }
    }
}

void collect_aliases(const ConfigLines& lines, std::vector<std::string>& aliases) {
    for (const ConfigLine& line : lines) {
        if (line.kind == LineKind::Host) {
            for (const std::string& pattern : line.args) {
                if (is_concrete(pattern) &&
                    std::find(aliases.begin(), aliases.end(), pattern) == aliases.end()) {
                    aliases.push_back(pattern);
                }
            }
        }
        for (const ConfigLines& file : line.included) {
            collect_aliases(file, aliases);
        }
    }
}

const passwd* local_account() {
    return ::getpwuid(::getuid());
}

std::string local_user() {
    if (const passwd* pw = local_account()) {
        return pw->pw_name;
    }
    const char* user = std::getenv("USER");
    return user != nullptr ? user : "";
}

std::string home_dir() {
    const char* home = std::getenv("HOME");
    if (home != nullptr && *home != '\0') {
        return home;
    }
    const passwd* pw = local_account();
    return pw != nullptr ? pw->pw_dir : "";
}

std::string local_hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) {
        return "";
    }
    return name;
}

// `~` and `~user` as ssh's tilde_expand_filename; an unknown user stays as written.
std::string expand_tilde(const std::string& path) {
    if (path.empty() || path[0] != '~') {
        return path;
    }
    std::size_t slash = std::min(path.find('/'), path.size());
    std::string user = path.substr(1, slash - 1);
    if (user.empty()) {
        return home_dir() + path.substr(slash);
    }
    const passwd* pw = ::getpwnam(user.c_str());
    return pw != nullptr ? pw->pw_dir + path.substr(slash) : path;
}

// ssh's percent tokens for IdentityFile. Tokens Lathe cannot compute (%C, %k...) stay as written:
// failing the whole listing over one host's rare token would hide every other host.
std::string expand_percent(const std::string& value, const SshConfigHost& host) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '%' || i + 1 == value.size()) {
            out += value[i];
            continue;
        }
        char token = value[++i];
        switch (token) {
            case '%':
                out += '%';
                break;
            case 'd':
                out += home_dir();
                break;
            case 'u':
                out += local_user();
                break;
            case 'h':
                out += host.hostname;
                break;
            case 'r':
                out += host.user;
                break;
            case 'n':
                out += host.alias;
                break;
            case 'p':
                out += std::to_string(host.port);
                break;
            case 'i':
                out += std::to_string(::getuid());
                break;
            case 'j':
                out += host.proxy_jump;
                break;
            case 'l':
                out += local_hostname();
                break;
            case 'L': {
                std::string name = local_hostname();
                out += name.substr(0, name.find('.'));
                break;
            }
            default:
                out += '%';
                out += token;
                break;
        }
    }
    return out;
}

// HostName knows only %h (the name typed) and %%.
std::string expand_hostname(const std::string& value, const std::string& alias) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 1 < value.size() &&
            (value[i + 1] == 'h' || value[i + 1] == '%')) {
            out += value[++i] == 'h' ? alias : "%";
        } else {
            out += value[i];
        }
    }
    return out;
}

std::pair<SshConfigHost, bool> resolve(const ConfigLines& lines, const std::string& alias) {
    Obtained got;
    bool active = true;  // lines before the first Host apply to every host
    apply(lines, alias, false, active, got);

    SshConfigHost host;
    host.alias = alias;
    host.hostname = got.hostname ? expand_hostname(*got.hostname, alias) : alias;
    host.user = got.user ? *got.user : local_user();
    host.port = got.port.value_or(22);
    host.proxy_jump = got.proxy_jump.value_or("");
    host.proxy_command = got.proxy_command.value_or("");
    host.source = got.named_source.empty() ? got.matched_source : got.named_source;
    for (const std::string& file : got.identity_files) {
        if (file == "none") {
            continue;
        }
        std::string path = expand_percent(expand_tilde(file), host);
        // ssh registers each file once.
        if (std::find(host.identity_files.begin(), host.identity_files.end(), path) ==
            host.identity_files.end()) {
            host.identity_files.push_back(path);
        }
    }
    return {host, !got.named_source.empty()};
}

// ssh resolves relative Includes against ~/.ssh, which is the user config's own directory; for
// any other file (tests, a config passed explicitly) its directory is the natural stand-in.
std::string include_dir_of(const std::string& path) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    return dir.empty() ? "." : dir;
}

}  // namespace

std::vector<SshConfigHost> list_config_hosts(const std::string& path) {
    auto lines = detail::read_config(path, include_dir_of(path));
    if (!lines) {
        return {};
    }
    std::vector<std::string> aliases;
    collect_aliases(*lines, aliases);
    std::vector<SshConfigHost> hosts;
    for (const std::string& alias : aliases) {
        auto [host, named] = resolve(*lines, alias);
        // A Host line inside an Include under a non-matching block is never reached by ssh.
        if (named) {
            hosts.push_back(std::move(host));
        }
    }
    return hosts;
}

std::optional<SshConfigHost> resolve_config_host(const std::string& path,
                                                 const std::string& alias) {
    auto lines = detail::read_config(path, include_dir_of(path));
    if (!lines) {
        return std::nullopt;
    }
    return resolve(*lines, alias).first;
}

std::string default_ssh_config_path() {
    return home_dir() + "/.ssh/config";
}

}  // namespace lathe::remote::hosts
