#include "core/distributed/rank_agent.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/distributed/world.h"
#include "core/events/event_writer.h"
#include "core/launch/child_setup.h"
#include "core/launch/signals.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::distributed {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};

// lathe-train has threads by the time the agent runs (OpenBLAS starts its pool when loaded), and
// a process-directed signal goes to any thread that does not block it, so blocking signals in this
// thread is not enough: handlers note the signal and wake the loop through a pipe.
int g_wake_fd = -1;
volatile std::sig_atomic_t g_pending[NSIG] = {};

extern "C" void note_signal(int sig) {
    const int saved_errno = errno;
    if (sig > 0 && sig < NSIG)
        g_pending[sig] = 1;
    if (g_wake_fd >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto n = ::write(g_wake_fd, &byte, 1);
    }
    errno = saved_errno;
}

struct Rank {
    std::int64_t rank = 0;
    pid_t pid = 0;
    bool running = false;
    int status = 0;
};

int free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw Error(std::string("rank agent: cannot open a socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(std::string("rank agent: cannot find a free port: ") + std::strerror(err));
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return "localhost";
    return name;
}

int open_log(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        throw Error(path + ": cannot open for appending: " + std::strerror(errno));
    return fd;
}

bool ended_well(const RankAgentOptions& options, int status) {
    if (!WIFEXITED(status))
        return false;
    const int code = WEXITSTATUS(status);
    return std::find(options.ok_exit_codes.begin(), options.ok_exit_codes.end(), code) !=
           options.ok_exit_codes.end();
}

int shell_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// run_failed for the first rank that failed: its own reason and message when it left them.
json failure_event(const RankAgentOptions& options, std::int64_t global_rank, pid_t pid, int status,
                   const std::string& host) {
    json event = {{"reason", "rank_failed"},
                  {"rank", global_rank},
                  {"host", host},
                  {"pid", static_cast<std::int64_t>(pid)}};
    std::string what;
    if (WIFSIGNALED(status)) {
        event["signal"] = launch::signal_name(WTERMSIG(status));
        what = launch::describe_wait_status(status);
    } else {
        event["exit_code"] = WEXITSTATUS(status);
        what = "exited with code " + std::to_string(WEXITSTATUS(status));
    }
    std::string message = "rank " + std::to_string(global_rank) + " (pid " + std::to_string(pid) +
                          " on " + host + ") " + what;
    const auto failure_path = rank_failure_path(options.run_dir, global_rank);
    std::error_code ec;
    if (fs::exists(failure_path, ec)) {
        try {
            const json own = json::parse(util::read_file(failure_path));
            if (own.contains("reason") && own["reason"].is_string())
                event["reason"] = own["reason"];
            if (own.contains("message") && own["message"].is_string())
                message += ": " + own["message"].get<std::string>();
            if (own.contains("hint"))
                event["hint"] = own["hint"];
        } catch (const std::exception&) {
            // A rank killed while writing it: the signal or exit code says enough.
        }
    }
    event["message"] = message + "; the other ranks were stopped";
    return event;
}

}  // namespace

std::string rank_failure_path(const std::string& run_dir, std::int64_t rank) {
    return (fs::path(run_dir) / "ranks" / ("rank-" + std::to_string(rank) + ".failure.json"))
        .string();
}

int run_rank_agent(const RankAgentOptions& options) {
    if (options.command.empty())
        throw Error("rank agent: no command to run");
    if (options.nproc_per_node < 1)
        throw Error("--nproc-per-node = " + std::to_string(options.nproc_per_node) +
                    " must be at least 1");
    if (options.nnodes < 1 || options.node_rank < 0 || options.node_rank >= options.nnodes)
        throw Error("--node-rank = " + std::to_string(options.node_rank) + " is outside 0.." +
                    std::to_string(options.nnodes - 1) + " (--nnodes)");
    if (options.nnodes > 1 && options.master_port == 0)
        throw Error("--master-port must be given when the job spans several nodes (--nnodes " +
                    std::to_string(options.nnodes) + ")");

    const fs::path ranks_dir = fs::path(options.run_dir) / "ranks";
    fs::create_directories(ranks_dir);
    const std::string host = host_name();
    WorldInfo world;
    world.world_size = options.nproc_per_node * options.nnodes;
    world.local_world_size = options.nproc_per_node;
    world.master_addr = options.master_addr;
    world.master_port = options.master_port != 0 ? options.master_port : free_tcp_port();

    // Installed before the first fork so that no signal or child exit is missed; the ranks get
    // default actions back before exec.
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
        throw Error(std::string("rank agent: cannot create a pipe: ") + std::strerror(errno));
    g_wake_fd = wake[1];
    struct sigaction action {};
    action.sa_handler = note_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGCHLD, &action, nullptr);
    for (int sig : kForwarded)
        ::sigaction(sig, &action, nullptr);

    const launch::ArgvArray argv(options.command);
    std::vector<Rank> ranks;
    const pid_t agent_pid = ::getpid();
    for (std::int64_t local = 0; local < options.nproc_per_node; ++local) {
        world.local_rank = local;
        world.rank = options.node_rank * options.nproc_per_node + local;
        auto extra = rank_environment(world, options.node_rank);
        extra.emplace_back(kRankAgentVariable, "1");
        const launch::ArgvArray envp(launch::environment_with(extra));
        std::error_code ec;
        fs::remove(rank_failure_path(options.run_dir, world.rank), ec);
        int out_fd = -1, err_fd = -1;
        if (world.rank != 0) {
            const std::string base = (ranks_dir / ("rank-" + std::to_string(world.rank))).string();
            out_fd = open_log(base + ".stdout.log");
            err_fd = open_log(base + ".stderr.log");
        }
        const pid_t pid = ::fork();
        if (pid < 0)
            throw Error(std::string("rank agent: cannot fork: ") + std::strerror(errno));
        if (pid == 0) {
            // A rank never outlives its agent: killing the job's one supervised process is
            // enough to take every rank down.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != agent_pid)
                ::_exit(127);
            if (out_fd >= 0) {
                ::dup2(out_fd, STDOUT_FILENO);
                ::dup2(err_fd, STDERR_FILENO);
            }
            launch::reset_signals_for_exec();
            ::execve(argv.data()[0], argv.data(), envp.data());
            ::_exit(127);
        }
        if (out_fd >= 0) {
            ::close(out_fd);
            ::close(err_fd);
        }
        ranks.push_back({world.rank, pid, true, 0});
    }

    json listing = json::array();
    for (const auto& r : ranks)
        listing.push_back(
            {{"rank", r.rank}, {"pid", static_cast<std::int64_t>(r.pid)}, {"host", host}});
    util::write_file_atomic(
        (ranks_dir / ("node-" + std::to_string(options.node_rank) + ".json")).string(),
        json{{"agent_pid", static_cast<std::int64_t>(agent_pid)},
             {"host", host},
             {"master_addr", world.master_addr},
             {"master_port", world.master_port},
             {"world_size", world.world_size},
             {"ranks", listing}}
                .dump(2) +
            "\n");

    std::optional<std::size_t> first_failed;
    // Stop grace: when set, the ranks still running are killed at kill_at.
    bool kill_pending = false;
    Clock::time_point kill_at{};
    auto alive = [&] {
        return std::any_of(ranks.begin(), ranks.end(), [](const Rank& r) { return r.running; });
    };
    auto signal_all = [&](int sig) {
        for (const auto& r : ranks)
            if (r.running)
                ::kill(r.pid, sig);
    };
    while (alive()) {
        pollfd wait_for{wake[0], POLLIN, 0};
        ::poll(&wait_for, 1, 200);
        char drain[64];
        while (::read(wake[0], drain, sizeof drain) > 0) {
        }
        for (int sig : kForwarded) {
            if (!g_pending[sig])
                continue;
            g_pending[sig] = 0;
            signal_all(sig);
            if ((sig == SIGTERM || sig == SIGINT) && options.stop_grace_ms > 0 && !kill_pending) {
                kill_pending = true;
                kill_at = Clock::now() + std::chrono::milliseconds(options.stop_grace_ms);
            }
        }
        for (;;) {
            int status = 0;
            const pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0)
                break;
            for (std::size_t i = 0; i < ranks.size(); ++i) {
                if (ranks[i].pid != pid)
                    continue;
                ranks[i].running = false;
                ranks[i].status = status;
                if (!ended_well(options, status) && !first_failed) {
                    first_failed = i;
                    signal_all(SIGKILL);
                }
            }
        }
        if (kill_pending && Clock::now() >= kill_at) {
            signal_all(SIGKILL);
            kill_pending = false;
        }
    }
    g_wake_fd = -1;
    ::close(wake[0]);
    ::close(wake[1]);

    if (first_failed) {
        const auto& failed = ranks[*first_failed];
        const json event = failure_event(options, failed.rank, failed.pid, failed.status, host);
        std::cerr << "lathe-train: " << event["message"].get<std::string>() << "\n";
        try {
            events::EventWriter((fs::path(options.run_dir) / "events.jsonl").string(),
                                options.run_id)
                .write("run_failed", event);
        } catch (const Error& e) {
            std::cerr << "lathe-train: cannot record the failure: " << e.what() << "\n";
        }
        return shell_code(failed.status);
    }
    return shell_code(ranks.front().status);
}

}  // namespace lathe::core::distributed
