#include "remote/runs/host_install.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "core/registry/registry.h"
#include "core/util/error.h"
#include "core/util/sha256.h"
#include "remote/runs/local_command.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"
#include "remote/ssh/transfer.h"

namespace lathe::remote::runs {

namespace fs = std::filesystem;

namespace {

// Hands complete lines to `on_line`, keeping a partial one for the next chunk.
class LineSplitter {
  public:
    explicit LineSplitter(const std::function<bool(const std::string&)>& on_line)
        : on_line_(on_line) {}
    bool feed(std::string_view chunk) {
        bool go_on = true;
        for (char c : chunk) {
            if (c == '\n' || c == '\r') {
                if (!partial_.empty()) {
                    last_ = partial_;
                    go_on = (!on_line_ || on_line_(partial_)) && go_on;
                }
                partial_.clear();
            } else {
                partial_ += c;
            }
        }
        return go_on;
    }
    void flush() { feed("\n"); }
    const std::string& last() const { return last_; }

  private:
    const std::function<bool(const std::string&)>& on_line_;
    std::string partial_, last_;
};

// A gzip'd tar of the source: in a git checkout the files git knows (tracked, or new and not
// ignored: no build folders, virtual environments or caches), else the tree without build*/,
// .git and .venv*. Names are sorted and mtimes and owners fixed, so that the same files give
// the same SHA-256 and are not uploaded again.
std::string pack_source(const std::string& source_dir, const std::string& archive) {
    const std::string tar =
        "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --ignore-failed-read";
    const std::string script =
        "set -o pipefail; cd " + ssh::shell_quote(source_dir) +
        " && if [ \"$(git rev-parse --show-toplevel 2>/dev/null)\" = \"$(pwd -P)\" ]; then"
        " git ls-files -z --cached --others --exclude-standard | " +
        tar + " --null -T - -cf -; else " + tar +
        " --exclude=./.git --exclude='./build*' --exclude='./.venv*' -cf - .; fi | gzip -n > " +
        ssh::shell_quote(archive);
    const auto result = run_local("bash -c " + ssh::shell_quote(script));
    if (result.exit_status != 0) {
        throw core::Error("could not pack the Lathe source in " + source_dir + ": " +
                          ssh::last_line(result.output));
    }
    return archive;
}

std::vector<std::string> target_names(const std::string& targets) {
    std::istringstream in(targets);
    std::vector<std::string> names;
    for (std::string name; in >> name;) {
        names.push_back(name);
    }
    return names;
}

}  // namespace

std::string default_source_dir() {
    if (const char* env = std::getenv("LATHE_SOURCE_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
#ifdef LATHE_SOURCE_TREE
    if (fs::exists(fs::path(LATHE_SOURCE_TREE) / "CMakeLists.txt")) {
        return LATHE_SOURCE_TREE;
    }
#endif
    return "";
}

InstallResult install_on_host(ssh::Session& session, ssh::SftpClient& sftp, const RemoteHost& host,
                              const InstallOptions& options,
                              const std::function<bool(const std::string& line)>& on_line) {
    const std::string what = "install on host " + host.name;
    const std::string source_dir =
        options.source_dir.empty() ? default_source_dir() : options.source_dir;
    if (source_dir.empty() || !fs::exists(fs::path(source_dir) / "scripts" / "install-node.sh")) {
        throw core::Error(what + ": no Lathe source tree at '" + source_dir +
                          "' (it needs scripts/install-node.sh); set LATHE_SOURCE_DIR");
    }
    const std::vector<std::string> targets = target_names(options.targets);
    if (targets.empty() ||
        options.targets.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ") !=
            std::string::npos) {
        throw core::Error(what + ": targets '" + options.targets +
                          "': give build target names separated by spaces");
    }
    // Each step reports its start; a caller that answers false has cancelled.
    auto say = [&](const std::string& line) {
        if (on_line && !on_line(line)) {
            throw core::Error(what + ": cancelled");
        }
    };

    say("@@lathe phase pack");
    // The archive's folder goes whatever happens (a failed pack or upload included).
    struct TempDir {
        fs::path path;
        ~TempDir() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } tmp{fs::temp_directory_path() /
          ("lathe-install-" + std::to_string(::getpid()) + "-" + host.name)};
    fs::create_directories(tmp.path);
    const std::string archive = pack_source(source_dir, (tmp.path / "lathe-src.tar.gz").string());
    const std::string sha = core::util::sha256_file_hex(archive);
    say("source packed: " + std::to_string(fs::file_size(archive)) + " bytes, sha256 " + sha);

    say("@@lathe phase upload");
    const std::string prefix = remote_absolute(session, options.prefix);
    // A stable tree (its build-node/ kept between installs) that an unpacked archive is synced
    // into, changed files only: a second install rebuilds what changed, not everything.
    const std::string src = prefix + "/src/lathe";
    const std::string stage = prefix + "/src/unpacked-" + sha.substr(0, 16);
    const std::string remote_archive = prefix + "/src/lathe-src-" + sha.substr(0, 16) + ".tar.gz";
    sftp.mkdir_p(prefix + "/src");
    const auto sent = ssh::upload_if_changed(sftp, archive, remote_archive);
    say(sent.bytes_sent == 0 ? "the node already has this source" : "source uploaded");

    InstallResult result;
    result.source_dir = src;
    result.bin_dir = prefix + "/bin";
    result.log_path = prefix + "/install.log";
    const std::string q_src = ssh::shell_quote(src);
    const std::string q_stage = ssh::shell_quote(stage);
    const std::string script =
        "set -o pipefail; { rm -rf " + q_stage + " && mkdir -p " + q_stage + " && tar -xzf " +
        ssh::shell_quote(remote_archive) + " -C " + q_stage + " && bash " + q_stage +
        "/scripts/sync-tree.sh " + q_stage + " " + q_src + " && rm -rf " + q_stage + " && find " +
        ssh::shell_quote(prefix + "/src") + " -maxdepth 1 -name 'lathe-src-*.tar.gz' ! -name " +
        ssh::shell_quote(remote_archive.substr(remote_archive.rfind('/') + 1)) + " -delete && cd " +
        q_src + " && LATHE_INSTALL_TARGETS=" + ssh::shell_quote(options.targets) +
        " bash scripts/install-node.sh " + ssh::shell_quote(prefix) + "; } 2>&1 | tee " +
        ssh::shell_quote(result.log_path);
    LineSplitter lines(on_line);
    auto command = session.start("bash -c " + ssh::shell_quote(script));
    const auto ran = command->wait(options.timeout_ms, [&](std::string_view chunk, bool) {
        if (chunk.empty()) {
            return !on_line || on_line("");  // a tick: lets the caller cancel during silence
        }
        return lines.feed(chunk);
    });
    lines.flush();
    if (ran.exit_status != 0) {
        throw ssh::SshError(ssh::SshError::Kind::remote_failure,
                            what + " failed (exit " + std::to_string(ran.exit_status) + "): " +
                                lines.last() + " (whole log on the node: " + result.log_path + ")");
    }

    say("@@lathe phase check");
    const std::string& first = targets.front();
    result.version = ssh::last_line(
        session.run_checked(ssh::shell_quote(result.bin_dir + "/" + first) + " --version",
                            what + ": the installed " + first + " --version"));
    if (on_line) {
        on_line("installed: " + result.version);  // done: a late cancel changes nothing now
    }
    return result;
}

std::optional<RemoteHost> record_install(core::registry::Registry& registry, RemoteHost host,
                                         const InstallOptions& options,
                                         const InstallResult& installed) {
    const auto targets = target_names(options.targets);
    if (std::find(targets.begin(), targets.end(), "lathe-train") == targets.end()) {
        return std::nullopt;
    }
    host.worker_command = ssh::shell_quote(installed.bin_dir + "/lathe-train");
    host.supervisor_command = ssh::shell_quote(installed.bin_dir + "/lathe-supervisor");
    registry.put_host(host.name, to_json(host));
    return host;
}

}  // namespace lathe::remote::runs
