#include "core/launch/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/launch/child_setup.h"
#include "core/launch/proc_info.h"
#include "core/launch/records.h"
#include "core/launch/signals.h"
#include "core/launch/supervisor_args.h"
#include "core/launch/supervisor_log.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::launch {

namespace {

constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
constexpr int kExecFailedCode = 127;  // what shells use for "command not found"

volatile std::sig_atomic_t g_trainer_pid = 0;
volatile std::sig_atomic_t g_forwarded[NSIG] = {};

extern "C" void forward_signal(int sig) {
    const int saved_errno = errno;
    const pid_t pid = g_trainer_pid;
    if (pid > 0 && ::kill(pid, sig) == 0 && sig > 0 && sig < NSIG) {
        g_forwarded[sig] = 1;
    }
    errno = saved_errno;
}

sigset_t forwarded_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : kForwardedSignals) {
        sigaddset(&set, sig);
    }
    return set;
}

int open_append(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw Error(path + ": cannot open for appending: " + std::strerror(errno));
    }
    return fd;
}

std::string join(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) {
        out += (out.empty() ? "" : " ") + a;
    }
    return out;
}

// The trainer child: waits for the go byte (supervisor.json is on disk by then), then execs.
// Only async-signal-safe calls: this mirrors what a multithreaded parent would need, and costs
// nothing here.
[[noreturn]] void exec_trainer(int go_fd, int report_fd, int stdout_fd, int stderr_fd,
                               char* const* argv, char* const* envp) {
    ::dup2(stdout_fd, STDOUT_FILENO);
    ::dup2(stderr_fd, STDERR_FILENO);
    char go = 0;
    ssize_t n;
    do {
        n = ::read(go_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        ::_exit(kExecFailedCode);  // the supervisor gave up before the record was written
    }
    // Default actions before unblocking: a signal forwarded before exec must act on this
    // process, not run the supervisor's handler in it.
    reset_signals_for_exec();
    ::execve(argv[0], argv, envp);
    const int err = errno;
    write_all(report_fd, &err, sizeof err);
    ::_exit(kExecFailedCode);
}

ExitRecord exit_record_for(pid_t pid, int status, int exec_errno, const std::string& program) {
    ExitRecord r;
    r.trainer_pid = pid;
    r.ended_at_unix_s = unix_now_s();
    if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
        const std::string name = signal_name(*r.signal);
        if (!name.empty()) {
            r.signal_name = name;
        }
        r.core_dumped = WCOREDUMP(status);
    } else {
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : kExecFailedCode;
    }
    r.description = describe_wait_status(status);
    if (exec_errno != 0) {
        r.exit_code = kExecFailedCode;
        r.signal.reset();
        r.signal_name.reset();
        r.description =
            "could not execute " + program + ": " + std::strerror(exec_errno) + " (exit code 127)";
    }
    return r;
}

int shell_code(const ExitRecord& r) {
    return r.exit_code ? *r.exit_code : 128 + r.signal.value_or(0);
}

int supervise(const SupervisorArgs& args, int log_fd) {
    const std::string& dir = args.run_dir;
    const int stdout_fd = open_append(dir + "/" + kStdoutLogFile);
    const int stderr_fd = open_append(dir + "/" + kStderrLogFile);

    // A record left by an earlier attempt in this run directory would make the new run look
    // ended; it must be gone before supervisor.json names the new trainer.
    const std::string exit_path = dir + "/" + kExitRecordFile;
    if (::unlink(exit_path.c_str()) != 0 && errno != ENOENT) {
        throw Error(exit_path +
                    ": cannot remove the previous exit record: " + std::strerror(errno));
    }
    util::sync_directory(dir);

    // Blocked until the trainer's pid is known, so that none is lost in between: pending ones
    // are delivered, and forwarded, when the mask is restored.
    // The trainer can be killed before it reads the go byte (it is "alive" as soon as
    // supervisor.json exists); writing to its closed pipe must not kill the supervisor too.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);

    const sigset_t forwarded = forwarded_set();
    sigset_t old_mask;
    ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : kForwardedSignals) {
        ::sigaction(sig, &sa, nullptr);
    }

    const ArgvArray argv(args.command);
    const ArgvArray envp(environment_with(args.extra_env));
    int go[2];
    int report[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
        throw Error("run " + dir + ": cannot create a pipe: " + std::strerror(errno));
    }
    const double started_at = unix_now_s();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw Error("run " + dir + ": cannot fork the trainer: " + std::strerror(errno));
    }
    if (pid == 0) {
        ::close(go[1]);
        ::close(report[0]);
        exec_trainer(go[0], report[1], stdout_fd, stderr_fd, argv.data(), envp.data());
    }
    ::close(go[0]);
    ::close(report[1]);
    g_trainer_pid = pid;

    SupervisorRecord record;
    record.supervisor_pid = ::getpid();
    record.trainer_pid = pid;
    if (auto self = read_proc_stat(record.supervisor_pid)) {
        record.supervisor_start_ticks = self->start_ticks;
    }
    if (auto child = read_proc_stat(pid)) {
        record.trainer_start_ticks = child->start_ticks;
    }
    record.boot_id = current_boot_id();
    record.started_at_unix_s = started_at;
    record.command = args.command;
    try {
        write_supervisor_record(dir, record);
    } catch (const Error& e) {
        log_line(log_fd, std::string(e.what()) + "; not starting the trainer");
        ::close(go[1]);  // the child reads EOF and exits without exec
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return 1;
    }
    const char go_byte = 1;
    write_all(go[1], &go_byte, 1);
    ::close(go[1]);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);

    int exec_errno = 0;
    ssize_t n;
    do {
        n = ::read(report[0], &exec_errno, sizeof exec_errno);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof exec_errno)) {
        exec_errno = 0;  // EOF: exec succeeded
    }
    ::close(report[0]);
    if (exec_errno != 0) {
        log_line(log_fd, "cannot execute " + args.command[0] + ": " + std::strerror(exec_errno));
    } else {
        log_line(log_fd, "started trainer pid " + std::to_string(pid) + ": " + join(args.command));
    }

    // Waited for without reaping first: until it is reaped the pid cannot be reused, so a
    // forwarded signal cannot reach an unrelated process that got the same pid.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
        if (errno != EINTR) {
            log_line(log_fd, std::string("waitid failed: ") + std::strerror(errno));
            break;
        }
    }
    ::sigprocmask(SIG_BLOCK, &forwarded, nullptr);
    g_trainer_pid = 0;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            log_line(log_fd, std::string("waitpid failed: ") + std::strerror(errno));
            break;
        }
    }
    for (int sig : kForwardedSignals) {
        if (g_forwarded[sig]) {
            log_line(log_fd, "forwarded " + signal_name(sig) + " to the trainer");
        }
    }

    const ExitRecord exit = exit_record_for(pid, status, exec_errno, args.command[0]);
    try {
        write_exit_record(dir, exit);
    } catch (const Error& e) {
        log_line(log_fd, std::string("cannot write the exit record: ") + e.what());
        return 1;
    }
    log_line(log_fd, "trainer pid " + std::to_string(pid) + " " + exit.description);
    ::close(stdout_fd);
    ::close(stderr_fd);

    if (!args.then_command.empty()) {
        log_line(log_fd, "running then-command: " + join(args.then_command));
        const ArgvArray then_argv(args.then_command);
        // A signal still pending from the blocked window now acts on the then-command's behalf
        // with its default action, as it would have for the trainer.
        reset_signals_for_exec();
        ::execv(then_argv.data()[0], then_argv.data());
        log_line(log_fd, "cannot execute then-command " + args.then_command[0] + ": " +
                             std::strerror(errno));
    }
    return shell_code(exit);
}

}  // namespace

int run_supervisor(int argc, char** argv) {
    SupervisorArgs args;
    try {
        args = parse_supervisor_args(argc, argv);
    } catch (const Error& e) {
        std::fprintf(stderr,
                     "lathe-supervisor: %s\nusage: lathe-supervisor --run-dir DIR "
                     "[--env NAME=VALUE]... [--then ARG]... -- PROGRAM [ARG]...\n",
                     e.what());
        return 2;
    }
    const std::string log_path = args.run_dir + "/" + kSupervisorLogFile;
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        std::fprintf(stderr, "lathe-supervisor: %s: cannot open: %s\n", log_path.c_str(),
                     std::strerror(errno));
        return 1;
    }
    // Nothing may reach a terminal the run has outlived: stray output and the then-command's
    // go to supervisor.log (fds 1 and 2 are not close-on-exec, so it inherits them).
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
        if (null_fd != STDIN_FILENO) {
            ::close(null_fd);
        }
    }
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    try {
        return supervise(args, log_fd);
    } catch (const std::exception& e) {
        log_line(log_fd, e.what());
        return 1;
    }
}

}  // namespace lathe::core::launch
