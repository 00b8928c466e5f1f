#include "tests/remote/support/sshd_server.h"

#include "tests/test_support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace lathe::tests {

namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// The parent pid of `pid` from /proc/PID/stat, or -1.
pid_t parent_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) {
        return -1;
    }
    std::istringstream rest(stat.substr(close_paren + 2));
    char state = 0;
    pid_t ppid = -1;
    rest >> state >> ppid;
    return ppid;
}

void generate_key(const std::filesystem::path& path) {
    shell_output("ssh-keygen -q -t ed25519 -N '' -C lathe-test -f '" + path.string() + "'");
}

}  // namespace

std::string shell_output(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("popen failed: " + command);
    }
    std::string out;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        out.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    if (status != 0) {
        throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command);
    }
    return out;
}

SshdServer::SshdServer(const std::string& name) {
    if (::access(kSshd, X_OK) != 0) {
        throw std::runtime_error(std::string(kSshd) + " is missing: install openssh-server");
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("lathe-sshd-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    generate_key(dir_ / "host_ed25519");
    generate_key(client_key());
    std::filesystem::copy_file(dir_ / "client_ed25519.pub", dir_ / "authorized_keys");
    if (::geteuid() == 0) {
        // sshd running as root drops privileges into this empty directory (Debian's default).
        ::mkdir("/run/sshd", 0755);
    }
    port_ = free_tcp_port();
    start();
}

SshdServer::~SshdServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string SshdServer::user() const {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw != nullptr ? pw->pw_name : "root";
}

std::string SshdServer::host_key_fingerprint() const {
    const std::string out =
        shell_output("ssh-keygen -l -E sha256 -f '" + (dir_ / "host_ed25519.pub").string() + "'");
    std::istringstream fields(out);
    std::string bits, fingerprint;
    fields >> bits >> fingerprint;
    return fingerprint;
}

void SshdServer::start() {
    const auto config = dir_ / "sshd_config";
    {
        std::ofstream out(config);
        out << "Port " << port_ << "\n"
            << "ListenAddress 127.0.0.1\n"
            << "HostKey " << (dir_ / "host_ed25519").string() << "\n"
            << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
            << "AuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\n"
            << "StrictModes no\nUsePAM no\nPasswordAuthentication no\n"
            << "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            << "PermitRootLogin prohibit-password\n"
            << "Subsystem sftp internal-sftp\n"
            << "MaxStartups 200\nMaxSessions 100\nLogLevel VERBOSE\n"
            // bash sources ~/.bashrc for commands run over SSH. On developer machines whose
            // .bashrc runs `pyenv rehash`, a connection killed mid-rehash leaves its lock file
            // and every later command would wait 60 s for it.
            << "SetEnv PYENV_REHASH_TIMEOUT=0\n";
    }
    std::ofstream known(known_hosts());
    const std::string host_pub = read_text(dir_ / "host_ed25519.pub");
    std::istringstream fields(host_pub);
    std::string type, key;
    fields >> type >> key;
    known << "[127.0.0.1]:" << port_ << " " << type << " " << key << "\n";
    known.close();

    const std::string config_s = config.string();
    const std::string log_s = (dir_ / "sshd.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execl(kSshd, kSshd, "-D", "-f", config_s.c_str(), "-E", log_s.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts_connections(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_ ||
            std::chrono::steady_clock::now() > deadline) {
            pid_ = -1;
            throw std::runtime_error("sshd did not start on port " + std::to_string(port_) + ": " +
                                     log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::vector<pid_t> SshdServer::connection_pids() const {
    // Every descendant of the listener: the per-connection monitor and its unprivileged child.
    std::vector<pid_t> found{pid_};
    for (bool grew = true; grew;) {
        grew = false;
        DIR* proc = ::opendir("/proc");
        while (dirent* entry = ::readdir(proc)) {
            const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
            if (pid <= 0 || std::find(found.begin(), found.end(), pid) != found.end()) {
                continue;
            }
            const pid_t ppid = parent_of(pid);
            if (std::find(found.begin(), found.end(), ppid) != found.end()) {
                found.push_back(pid);
                grew = true;
            }
        }
        ::closedir(proc);
    }
    found.erase(found.begin());
    return found;
}

int SshdServer::kill_connections() {
    const auto pids = connection_pids();
    for (pid_t pid : pids) {
        ::kill(pid, SIGKILL);
    }
    return static_cast<int>(pids.size());
}

void SshdServer::stop() {
    if (pid_ <= 0) {
        return;
    }
    kill_connections();
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void SshdServer::restart() {
    stop();
    start();
}

void SshdServer::change_host_key() {
    std::filesystem::remove(dir_ / "host_ed25519");
    std::filesystem::remove(dir_ / "host_ed25519.pub");
    generate_key(dir_ / "host_ed25519");
    // known_hosts keeps the old key: start() rewrites it, so save and restore it around.
    const std::string old_known = read_text(known_hosts());
    restart();
    std::ofstream(known_hosts()) << old_known;
}

std::string SshdServer::log() const {
    return read_text(dir_ / "sshd.log");
}

SilentListener::SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() {
    ::close(fd_);
}

}  // namespace lathe::tests
