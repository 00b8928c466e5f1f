#pragma once

#include <functional>
#include <optional>
#include <string>

#include "remote/runs/remote_host.h"

namespace lathe::core::registry {
class Registry;
}
namespace lathe::remote::ssh {
class Session;
class SftpClient;
}  // namespace lathe::remote::ssh

namespace lathe::remote::runs {

struct InstallOptions {
    // A Lathe source tree on this machine (its CMakeLists.txt and scripts/install-node.sh);
    // empty: default_source_dir().
    std::string source_dir;
    // Where lathe-train and lathe-supervisor go on the node (PREFIX/bin); relative paths start
    // in the remote home.
    std::string prefix = ".lathe";
    // What is built and installed; "lathe-train lathe-supervisor" makes a worker node.
    std::string targets = "lathe-train lathe-supervisor";
    int timeout_ms = 3 * 3600 * 1000;  // a cold build on a small node takes tens of minutes
};

struct InstallResult {
    std::string source_dir;  // where the source was unpacked on the node
    std::string log_path;    // the node's copy of the whole log
    std::string bin_dir;     // PREFIX/bin, absolute
    std::string version;     // `<first target> --version`, the check that the install works
};

// "Install on host" for a Debian/Ubuntu node: packs `options.source_dir` (no build folders,
// no .git), uploads it unless the same archive is there (size and SHA-256), unpacks it and syncs
// the changed files into `<prefix>/src/lathe` (scripts/sync-tree.sh: the build folder there is
// kept, so a second install rebuilds only what changed), and runs scripts/install-node.sh: the
// set-up (scripts/setup.sh --headless: apt-get, through `sudo -n` when not root) and a headless
// build of `targets` installed into PREFIX/bin. Every line of output reaches `on_line` as it
// arrives (the script marks phases with "@@lathe phase NAME"), and "" at least every 100 ms while
// the node is silent; `on_line` returning false stops waiting (the build may go on on the node).
// Throws core::Error / SshError naming the host and the failing step, with the log's last line.
InstallResult install_on_host(ssh::Session& session, ssh::SftpClient& sftp, const RemoteHost& host,
                              const InstallOptions& options,
                              const std::function<bool(const std::string& line)>& on_line);

// After an install that built lathe-train: saves `host` in the registry with its worker and
// supervisor commands pointing at the install's bin_dir (a ~/.ssh/config alias becomes an added
// host) and returns it; nullopt (nothing saved) when lathe-train was not among the targets.
std::optional<RemoteHost> record_install(core::registry::Registry& registry, RemoteHost host,
                                         const InstallOptions& options,
                                         const InstallResult& installed);

// Where this build's source is: $LATHE_SOURCE_DIR, else the tree it was built from when that
// still has a CMakeLists.txt; "" when neither.
std::string default_source_dir();

}  // namespace lathe::remote::runs
