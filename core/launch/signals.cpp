#include "core/launch/signals.h"

#include <sys/wait.h>

#include <csignal>

namespace lathe::core::launch {

namespace {

struct NamedSignal {
    int number;
    const char* name;
};

// Spelled out rather than sigabbrev_np() so that the names do not depend on the libc version.
constexpr NamedSignal kSignals[] = {
    {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"},     {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"},   {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"},     {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},   {SIGCHLD, "SIGCHLD"},
    {SIGCONT, "SIGCONT"},     {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},   {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"},     {SIGURG, "SIGURG"},   {SIGXCPU, "SIGXCPU"},   {SIGXFSZ, "SIGXFSZ"},
    {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},
    {SIGSYS, "SIGSYS"},
};

// Why a run was killed is the first question after a SIGKILL nobody sent on purpose; the
// kernel's OOM killer is by far the most common sender.
const char* signal_note(int signal) {
    if (signal == SIGKILL) {
        return "the out-of-memory killer does this";
    }
    if (signal == SIGXCPU) {
        return "a CPU time limit was reached";
    }
    return nullptr;
}

}  // namespace

std::string signal_name(int signal) {
    for (const auto& s : kSignals) {
        if (s.number == signal) {
            return s.name;
        }
    }
    if (signal >= SIGRTMIN && signal <= SIGRTMAX) {
        return signal == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signal - SIGRTMIN);
    }
    return "";
}

std::string describe_signal(int signal, bool core_dumped) {
    std::string out = "signal " + std::to_string(signal);
    std::string inside = signal_name(signal);
    if (const char* note = signal_note(signal); note != nullptr && !inside.empty()) {
        inside += "; ";
        inside += note;
    }
    if (core_dumped) {
        inside += inside.empty() ? "core dumped" : ", core dumped";
    }
    if (!inside.empty()) {
        out += " (" + inside + ")";
    }
    return out;
}

std::string describe_wait_status(int wait_status) {
    if (WIFEXITED(wait_status)) {
        return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
    }
    if (WIFSIGNALED(wait_status)) {
        return "killed by " + describe_signal(WTERMSIG(wait_status), WCOREDUMP(wait_status));
    }
    return "ended with wait status " + std::to_string(wait_status);
}

}  // namespace lathe::core::launch
