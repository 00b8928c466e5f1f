#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "remote/ssh/ssh_target.h"
#include "tests/test_support.h"  // free_tcp_port

namespace lathe::tests {

// A real OpenSSH sshd on 127.0.0.1 at a free port, started by the test that needs it: host key,
// client key pair, authorized_keys and sshd_config are generated into a temporary folder, and the
// server is stopped (with every connection it forked) when this object goes away. It logs in the
// user running the test, with key authentication only.
class SshdServer {
  public:
    // Throws std::runtime_error (with sshd's own log) when sshd is missing or does not listen.
    explicit SshdServer(const std::string& name);
    ~SshdServer();
    SshdServer(const SshdServer&) = delete;
    SshdServer& operator=(const SshdServer&) = delete;

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }
    std::string user() const;
    // The client's private key (unencrypted ed25519) that authorized_keys accepts.
    std::filesystem::path client_key() const { return dir_ / "client_ed25519"; }
    // A known_hosts file that trusts this server's host key.
    std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
    std::string host_key_fingerprint() const;  // "SHA256:..."
    // How tests reach this server: 127.0.0.1, its port, this user, the client key, its
    // known_hosts, no ~/.ssh/config, a 5 s connect timeout.
    remote::ssh::SshTarget target() const {
        remote::ssh::SshTarget t;
        t.host = "127.0.0.1";
        t.port = port_;
        t.user = user();
        t.identity_files = {client_key().string()};
        t.ssh_config_path = "none";
        t.known_hosts_path = known_hosts().string();
        t.connect_timeout_ms = 5000;
        return t;
    }

    // Cuts every open connection (SIGKILL to the per-connection sshd children); the listener
    // stays, so clients can reconnect. Returns how many processes were killed.
    int kill_connections();
    // Replaces the host key with a new one and restarts sshd: clients must now refuse it.
    void change_host_key();
    void restart();
    std::string log() const;

  private:
    void start();
    void stop();
    std::vector<pid_t> connection_pids() const;

    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Runs `command` with /bin/sh -c and returns its stdout; throws std::runtime_error when it fails.
std::string shell_output(const std::string& command);

// A TCP listener on 127.0.0.1 that accepts connections and never says anything: a host that does
// not answer the SSH handshake.
class SilentListener {
  public:
    SilentListener();
    ~SilentListener();
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace lathe::tests
