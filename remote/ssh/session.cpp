#include "remote/ssh/session.h"

#include <libssh/libssh.h>
#include <libssh/server.h>  // ssh_send_keepalive, which clients may send too

#include <pwd.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <cstdlib>

#include "remote/ssh/authenticate.h"
#include "remote/ssh/host_key.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::ssh {

namespace {

std::string home_dir_local() {
    const char* home = std::getenv("HOME");
    return home != nullptr ? home : "";
}

std::string option_string(ssh_session session, ssh_options_e option) {
    char* value = nullptr;
    if (ssh_options_get(session, option, &value) != SSH_OK || value == nullptr) {
        return "";
    }
    std::string out = value;
    ssh_string_free_char(value);
    return out;
}

void set_option(ssh_session session, ssh_options_e option, const void* value,
                const std::string& what) {
    if (ssh_options_set(session, option, value) != SSH_OK) {
        throw SshError(SshError::Kind::unreachable,
                       "ssh option " + what + ": " + ssh_get_error(session));
    }
}

SshError::Kind classify_connect_error(const std::string& message) {
    if (message.find("imeout") != std::string::npos ||
        message.find("timed out") != std::string::npos) {
        return SshError::Kind::timeout;
    }
    return SshError::Kind::unreachable;
}

}  // namespace

std::string last_line(const std::string& text) {
    const std::size_t end = text.find_last_not_of("\r\n");
    if (end == std::string::npos) {
        return "";
    }
    const std::size_t newline = text.rfind('\n', end);
    const std::size_t start = newline == std::string::npos ? 0 : newline + 1;
    return text.substr(start, end - start + 1);
}

std::unique_ptr<Session> Session::connect(const SshTarget& target, const Prompts& prompts) {
    if (target.host.empty()) {
        throw SshError(SshError::Kind::unreachable, "ssh: no host given");
    }
    std::unique_ptr<Session> self(new Session());
    self->target_ = target;
    ssh_session s = ssh_new();
    if (s == nullptr) {
        throw SshError(SshError::Kind::unreachable, "ssh: libssh could not allocate a session");
    }
    self->session_ = s;
    set_option(s, SSH_OPTIONS_HOST, target.host.c_str(), "host " + target.host);
    // The config is read first so that what the caller set explicitly overrides it.
    if (target.ssh_config_path == "none") {
        const int no = 0;
        set_option(s, SSH_OPTIONS_PROCESS_CONFIG, &no, "ProcessConfig");
    } else {
        const std::string path = target.ssh_config_path.empty() ? home_dir_local() + "/.ssh/config"
                                                                : target.ssh_config_path;
        if (ssh_options_parse_config(s, path.c_str()) != SSH_OK) {
            throw SshError(SshError::Kind::unreachable,
                           "ssh config " + path + ": " + ssh_get_error(s));
        }
        const int no = 0;  // read exactly this file, not /etc/ssh/ssh_config again at connect
        set_option(s, SSH_OPTIONS_PROCESS_CONFIG, &no, "ProcessConfig");
    }
    if (!target.user.empty()) {
        set_option(s, SSH_OPTIONS_USER, target.user.c_str(), "user");
    }
    if (target.port != 0) {
        if (target.port < 1 || target.port > 65535) {
            throw SshError(SshError::Kind::unreachable, "host " + target.host + ": port " +
                                                            std::to_string(target.port) +
                                                            " is not in 1..65535");
        }
        const unsigned int port = static_cast<unsigned int>(target.port);
        set_option(s, SSH_OPTIONS_PORT, &port, "port");
    }
    for (const auto& identity : target.identity_files) {
        set_option(s, SSH_OPTIONS_ADD_IDENTITY, identity.c_str(), "identity " + identity);
    }
    if (!target.proxy_jump.empty()) {
        const std::string command = "ssh -W '[%h]:%p' " + shell_quote(target.proxy_jump);
        set_option(s, SSH_OPTIONS_PROXYCOMMAND, command.c_str(), "ProxyJump");
    }
    const std::string known_hosts = target.known_hosts_path.empty()
                                        ? home_dir_local() + "/.ssh/known_hosts"
                                        : target.known_hosts_path;
    set_option(s, SSH_OPTIONS_KNOWNHOSTS, known_hosts.c_str(), "known_hosts");
    const long timeout_s = target.connect_timeout_ms / 1000;
    const long timeout_us = (target.connect_timeout_ms % 1000) * 1000L;
    set_option(s, SSH_OPTIONS_TIMEOUT, &timeout_s, "timeout");
    set_option(s, SSH_OPTIONS_TIMEOUT_USEC, &timeout_us, "timeout");
    // AES-GCM first: with AES-NI it is several times faster than libssh's chacha20-poly1305,
    // which bounds checkpoint downloads; servers without it still get chacha20 or AES-CTR.
    const char* ciphers =
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,"
        "aes128-ctr,aes256-ctr";
    set_option(s, SSH_OPTIONS_CIPHERS_C_S, ciphers, "ciphers");
    set_option(s, SSH_OPTIONS_CIPHERS_S_C, ciphers, "ciphers");
    const int nodelay = 1;  // small event reads: latency matters more than packet count
    set_option(s, SSH_OPTIONS_NODELAY, &nodelay, "nodelay");

    unsigned int port = 22;
    ssh_options_get_port(s, &port);
    std::string user = option_string(s, SSH_OPTIONS_USER);
    if (user.empty()) {
        const passwd* pw = ::getpwuid(::geteuid());
        user = pw != nullptr ? pw->pw_name : "?";
    }
    self->label_ = user + "@" + option_string(s, SSH_OPTIONS_HOST) + ":" + std::to_string(port);
    const std::string& shown = target.name.empty() ? target.host : target.name;
    if (option_string(s, SSH_OPTIONS_HOST) != shown) {
        self->label_ = shown + " (" + self->label_ + ")";
    }

    if (ssh_connect(s) != SSH_OK) {
        const std::string message = ssh_get_error(s);
        const SshError::Kind kind = classify_connect_error(message);
        throw SshError(kind, "host " + self->label_ + ": " +
                                 (kind == SshError::Kind::timeout
                                      ? "no answer within " +
                                            std::to_string(target.connect_timeout_ms) + " ms ("
                                      : "cannot connect (") +
                                 message + ")");
    }
    verify_host_key(s, self->label_, known_hosts, prompts);
    authenticate(s, self->label_, target, prompts);
    return self;
}

Session::~Session() {
    if (session_ != nullptr) {
        if (ssh_is_connected(session_) != 0) {
            ssh_disconnect(session_);
        }
        ssh_free(session_);
    }
}

const std::string& Session::home() {
    if (home_.empty()) {
        // A login shell may take seconds to start (conda or pyenv in .bashrc): not a dead host.
        home_ = run_checked("printf '%s' \"$HOME\"", "read $HOME",
                            std::max(target_.connect_timeout_ms, 30000));
    }
    return home_;
}

bool Session::connected() const {
    return session_ != nullptr && ssh_is_connected(session_) != 0;
}

void Session::fail(const std::string& what) const {
    const std::string message = ssh_get_error(session_);
    if (!connected()) {
        throw SshError(
            SshError::Kind::disconnected,
            "host " + label_ + ": connection lost while trying to " + what + " (" + message + ")");
    }
    throw SshError(SshError::Kind::remote_failure,
                   "host " + label_ + ": cannot " + what + ": " + message);
}

namespace {

void close_channel(ssh_channel channel) {
    if (channel != nullptr) {
        ssh_channel_close(channel);
        ssh_channel_free(channel);
    }
}

}  // namespace

std::unique_ptr<PendingCommand> Session::start(const std::string& command_line) {
    ssh_channel channel = ssh_channel_new(session_);
    if (channel == nullptr || ssh_channel_open_session(channel) != SSH_OK) {
        close_channel(channel);
        fail("open a channel");
    }
    if (ssh_channel_request_exec(channel, command_line.c_str()) != SSH_OK) {
        close_channel(channel);
        fail("start a command");
    }
    return std::unique_ptr<PendingCommand>(new PendingCommand(*this, channel));
}

PendingCommand::~PendingCommand() {
    close_channel(static_cast<ssh_channel>(channel_));
}

CommandResult PendingCommand::wait(int timeout_ms, const OutputSink& sink) {
    auto channel = static_cast<ssh_channel>(channel_);
    if (ssh_channel_is_open(channel) != 0 && ssh_channel_is_eof(channel) == 0) {
        ssh_channel_send_eof(channel);
    }
    CommandResult result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buffer[16384];
    while (true) {
        const int n = ssh_channel_read_timeout(channel, buffer, sizeof buffer, 0, 100);
        if (n == SSH_ERROR) {
            session_.fail("read a command's output");
        }
        bool go_on = true;
        if (n > 0) {
            result.out.append(buffer, static_cast<std::size_t>(n));
            go_on = !sink || sink(std::string_view(buffer, static_cast<std::size_t>(n)), false);
        } else if (sink) {
            go_on = sink(std::string_view(), false);
        }
        int e = 0;
        while ((e = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1)) > 0) {
            result.err.append(buffer, static_cast<std::size_t>(e));
            go_on = go_on &&
                    (!sink || sink(std::string_view(buffer, static_cast<std::size_t>(e)), true));
        }
        if (!go_on) {
            throw SshError(SshError::Kind::remote_failure,
                           "host " + session_.label() + ": a command was stopped while it ran");
        }
        if (e == SSH_ERROR) {
            session_.fail("read a command's errors");
        }
        if (ssh_channel_is_eof(channel) != 0 && n == 0) {
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw SshError(SshError::Kind::timeout, "host " + session_.label() +
                                                        ": a command did not finish within " +
                                                        std::to_string(timeout_ms) + " ms");
        }
    }
    int e = 0;
    while ((e = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1)) > 0) {
        result.err.append(buffer, static_cast<std::size_t>(e));
    }
    result.exit_status = ssh_channel_get_exit_status(channel);
    if (result.exit_status < 0 && !session_.connected()) {
        // The output ended because the connection did, not because the command finished.
        throw SshError(SshError::Kind::disconnected,
                       "host " + session_.label() + ": connection lost while a command ran");
    }
    return result;
}

CommandResult Session::run(const std::string& command_line, int timeout_ms,
                           const std::string& stdin_bytes) {
    std::unique_ptr<PendingCommand> command = start(command_line);
    auto channel = static_cast<ssh_channel>(command->channel_);
    std::size_t written = 0;
    while (written < stdin_bytes.size()) {
        const int n = ssh_channel_write(channel, stdin_bytes.data() + written,
                                        static_cast<uint32_t>(stdin_bytes.size() - written));
        if (n <= 0) {
            fail("send a command's input");
        }
        written += static_cast<std::size_t>(n);
    }
    return command->wait(timeout_ms);
}

std::string Session::run_checked(const std::string& command_line, const std::string& what,
                                 int timeout_ms) {
    CommandResult result = run(command_line, timeout_ms);
    if (result.exit_status != 0) {
        const std::string last = last_line(result.err.empty() ? result.out : result.err);
        throw SshError(
            SshError::Kind::remote_failure,
            "host " + label_ + ": cannot " + what + ": " +
                (result.exit_status < 0 ? std::string("the command ended without an exit status")
                                        : "exit status " + std::to_string(result.exit_status)) +
                (last.empty() ? "" : ": " + last));
    }
    return result.out;
}

void Session::keepalive(int timeout_ms) {
    if (!connected() || ssh_send_keepalive(session_) != SSH_OK ||
        ssh_blocking_flush(session_, timeout_ms) != SSH_OK) {
        throw SshError(SshError::Kind::disconnected,
                       "host " + label_ + ": connection lost (keepalive not delivered)");
    }
}

}  // namespace lathe::remote::ssh
