#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "remote/ssh/ssh_target.h"

struct ssh_session_struct;

namespace lathe::remote::ssh {

struct CommandResult {
    int exit_status = -1;  // -1 when the remote end sent none (killed by a signal)
    std::string out;
    std::string err;
};

class Session;

// Receives a running command's output as it arrives (stdout and stderr chunks in arrival
// order), and an empty chunk at least every 100 ms while none comes, so that it can decide to
// stop waiting: returning false does (the channel is closed; the command may run on).
using OutputSink = std::function<bool(std::string_view chunk, bool is_stderr)>;

// The last non-empty line of a command's output: its own message, after whatever the node's
// login shell printed first.
std::string last_line(const std::string& text);

// A command started with Session::start, running on the node while the session does other
// work (its output is buffered by libssh meanwhile). wait() collects it as Session::run does.
class PendingCommand {
  public:
    ~PendingCommand();
    PendingCommand(const PendingCommand&) = delete;
    PendingCommand& operator=(const PendingCommand&) = delete;
    // With a sink, output also reaches it as it arrives; a sink that returns false makes wait()
    // throw SshError(remote_failure) "... stopped while it ran".
    CommandResult wait(int timeout_ms = 60000, const OutputSink& sink = {});

  private:
    friend class Session;
    PendingCommand(Session& session, void* channel) : session_(session), channel_(channel) {}
    Session& session_;
    void* channel_;  // ssh_channel
};

// One authenticated SSH connection (libssh). Connecting checks the host key against known_hosts
// (a changed key is always refused; an unknown one only after Prompts::accept_new_host) and then
// tries ssh-agent, the key files, and passwords in that order. Not thread-safe: one thread uses a
// session at a time; open one session per worker thread.
class Session {
  public:
    // Throws SshError naming the host: unreachable, timeout, host_key_unknown, host_key_changed,
    // auth_failed.
    static std::unique_ptr<Session> connect(const SshTarget& target, const Prompts& prompts = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs `command_line` (built with shell_command/shell_quote) through the user's shell on the
    // host, feeding `stdin_bytes`, and collects its output and exit status. Throws SshError
    // (disconnected, timeout) when the connection fails or `timeout_ms` passes; a non-zero exit
    // is not an error here.
    CommandResult run(const std::string& command_line, int timeout_ms = 60000,
                      const std::string& stdin_bytes = "");
    // Starts `command_line` and returns at once (stdin gets EOF); see PendingCommand.
    std::unique_ptr<PendingCommand> start(const std::string& command_line);

    // run(), but a non-zero exit throws SshError(remote_failure) with `what`, the exit status and
    // the last line of stderr. Returns stdout.
    std::string run_checked(const std::string& command_line, const std::string& what,
                            int timeout_ms = 60000);

    // Sends a keepalive and flushes it within `timeout_ms`; throws SshError(disconnected) when
    // the connection is gone.
    void keepalive(int timeout_ms = 5000);
    bool connected() const;

    // "user@host:port" as connected (after ~/.ssh/config), for messages.
    const std::string& label() const { return label_; }
    const SshTarget& target() const { return target_; }
    // The remote home directory (where relative paths start).
    // Asked on first use (one command through the login shell, which can be slow to start).
    const std::string& home();

    ssh_session_struct* raw() const { return session_; }

    // An SshError(disconnected or remote_failure) for a failed libssh call on this session.
    [[noreturn]] void fail(const std::string& what) const;

  private:
    Session() = default;
    ssh_session_struct* session_ = nullptr;
    SshTarget target_;
    std::string label_;
    std::string home_;
};

}  // namespace lathe::remote::ssh
