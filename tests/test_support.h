#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace lathe::tests {

// A TCP port on 127.0.0.1 nobody listens on right now (the kernel's pick, released again).
inline int free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("no free port on 127.0.0.1");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// tests/fixtures, found from this header's own location so that tests run from any directory.
inline std::filesystem::path fixtures_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "fixtures";
}

inline std::string fixture(const std::string& relative) {
    return (fixtures_dir() / relative).string();
}

// A fresh, empty directory under the system temp dir, unique to this process and name.
inline std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("lathe-test-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Writes `text` to `path`, creating its folders (test files and fake checkpoints).
inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

struct CommandResult {
    int exit_code = -1;  // as a shell reports it: 128 + signal when killed
    std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh -c, stderr merged into stdout, and waits for it.
inline CommandResult run_command(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    CommandResult r;
    if (pipe == nullptr)
        return r;
    char buffer[4096];
    while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr)
        r.output += buffer;
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

// This machine has no GPU: puts an `nvidia-smi` on PATH that answers Lathe's query
// (--query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu
// --format=csv,noheader,nounits) as two H200s would, so that the GPU tables and the dashboard's
// GPU line have something to show. Returns the folder put first on PATH.
inline std::filesystem::path put_two_gpus_on_path(const std::filesystem::path& dir) {
    const auto bin = dir / "fake-gpu-bin";
    std::filesystem::create_directories(bin);
    std::ofstream(bin / "nvidia-smi") << "#!/bin/sh\n"
                                         "echo '0, NVIDIA H200, 40123, 143771, 87, 61'\n"
                                         "echo '1, NVIDIA H200, 512, 143771, 0, 34'\n";
    std::filesystem::permissions(bin / "nvidia-smi", std::filesystem::perms::owner_all);
    const char* path = std::getenv("PATH");
    ::setenv("PATH", (bin.string() + ":" + (path != nullptr ? path : "/usr/bin:/bin")).c_str(), 1);
    return bin;
}

}  // namespace lathe::tests
