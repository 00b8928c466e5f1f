#include "core/launch/start_detached.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/launch/child_setup.h"
#include "core/launch/supervisor_args.h"
#include "core/util/error.h"

namespace lathe::core::launch {

namespace {

// What the two children tell the caller through the CLOEXEC pipe. Each message is one write()
// smaller than PIPE_BUF, hence atomic; EOF means the supervisor's exec succeeded (or every
// writer is gone).
enum class Report : int { kSupervisorPid = 1, kSetsidFailed, kForkFailed, kExecFailed };
struct Message {
    Report kind;
    int value;  // a pid or an errno
};

void require_executable(const std::string& path, const char* what, bool must_be_absolute) {
    if (path.empty()) {
        throw Error(std::string(what) + " is empty");
    }
    if (must_be_absolute && path.front() != '/') {
        throw Error(std::string(what) + " " + path + ": not an absolute path");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw Error(std::string(what) + " " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
        throw Error(std::string(what) + " " + path + ": not an executable file");
    }
}

void validate(const LaunchSpec& spec) {
    struct stat st {};
    if (spec.run_dir.empty() || ::stat(spec.run_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw Error("run directory " + spec.run_dir + ": does not exist or is not a directory");
    }
    require_executable(spec.supervisor_program, "supervisor program", false);
    if (spec.command.empty()) {
        throw Error("run " + spec.run_dir + ": the trainer command is empty");
    }
    require_executable(spec.command[0], "trainer program", true);
    if (!spec.then_command.empty()) {
        require_executable(spec.then_command[0], "then-command program", true);
    }
}

void send(int fd, Report kind, int value) {
    Message m{kind, value};
    write_all(fd, &m, sizeof m);
}

// The grandchild: becomes the supervisor. Only async-signal-safe calls from here to exec.
[[noreturn]] void exec_supervisor(int report_fd, const char* program, char* const* argv) {
    reset_signals_for_exec();
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        // A terminal the caller had must not be held (or written to) by a run that outlives it.
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(null_fd, STDOUT_FILENO);
        ::dup2(null_fd, STDERR_FILENO);
        if (null_fd > STDERR_FILENO) {
            ::close(null_fd);
        }
    }
    mark_cloexec_from(STDERR_FILENO + 1);
    ::execv(program, argv);
    send(report_fd, Report::kExecFailed, errno);
    ::_exit(127);
}

}  // namespace

LaunchResult start_detached(const LaunchSpec& spec) {
    validate(spec);
    SupervisorArgs args;
    args.run_dir = std::filesystem::absolute(spec.run_dir).lexically_normal().string();
    args.command = spec.command;
    args.then_command = spec.then_command;
    args.extra_env = spec.extra_env;
    std::vector<std::string> argv_strings{spec.supervisor_program};
    for (auto& a : encode_supervisor_args(args)) {
        argv_strings.push_back(std::move(a));
    }
    const ArgvArray argv(argv_strings);
    const std::string program = spec.supervisor_program;

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw Error("run " + args.run_dir + ": cannot create a pipe: " + std::strerror(errno));
    }
    const pid_t middle = ::fork();
    if (middle < 0) {
        const int err = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        throw Error("run " + args.run_dir + ": cannot fork: " + std::strerror(err));
    }
    if (middle == 0) {
        ::close(fds[0]);
        // A new session: no controlling terminal, and signals sent to the caller's process
        // group (Ctrl-C in the terminal that ran the CLI) do not reach the run.
        if (::setsid() < 0) {
            send(fds[1], Report::kSetsidFailed, errno);
            ::_exit(1);
        }
        // The second fork leaves the supervisor orphaned at once, so init reaps it and the
        // caller only ever waits for this short-lived middle child.
        const pid_t supervisor = ::fork();
        if (supervisor < 0) {
            send(fds[1], Report::kForkFailed, errno);
            ::_exit(1);
        }
        if (supervisor > 0) {
            send(fds[1], Report::kSupervisorPid, supervisor);
            ::_exit(0);
        }
        exec_supervisor(fds[1], program.c_str(), argv.data());
    }

    ::close(fds[1]);
    pid_t supervisor_pid = 0;
    int exec_errno = 0;
    int setup_errno = 0;
    const char* setup_step = "";
    for (;;) {
        Message m{};
        const ssize_t n = ::read(fds[0], &m, sizeof m);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n != static_cast<ssize_t>(sizeof m)) {
            break;  // EOF: the supervisor is exec'd (or failed and said so already)
        }
        switch (m.kind) {
            case Report::kSupervisorPid:
                supervisor_pid = m.value;
                break;
            case Report::kExecFailed:
                exec_errno = m.value;
                break;
            case Report::kSetsidFailed:
                setup_errno = m.value;
                setup_step = "setsid";
                break;
            case Report::kForkFailed:
                setup_errno = m.value;
                setup_step = "fork";
                break;
        }
    }
    ::close(fds[0]);
    // ECHILD is fine: a caller that sets SIGCHLD to SIG_IGN has its children reaped for it.
    while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }

    if (setup_errno != 0) {
        throw Error("run " + args.run_dir + ": cannot start the supervisor: " + setup_step +
                    " failed: " + std::strerror(setup_errno));
    }
    if (exec_errno != 0) {
        throw Error("run " + args.run_dir + ": cannot execute supervisor program " + program +
                    ": " + std::strerror(exec_errno));
    }
    if (supervisor_pid <= 0) {
        throw Error("run " + args.run_dir + ": the supervisor did not start (no pid reported)");
    }
    return LaunchResult{supervisor_pid};
}

}  // namespace lathe::core::launch
