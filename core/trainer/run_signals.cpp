#include "core/trainer/run_signals.h"

#include <atomic>
#include <csignal>

namespace lathe::core::trainer {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_save{false};

extern "C" void on_stop_signal(int) {
    g_stop.store(true);
}
extern "C" void on_save_signal(int) {
    g_save.store(true);
}

}  // namespace

void install_run_signal_handlers() {
    struct sigaction stop {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTERM, &stop, nullptr);
    sigaction(SIGINT, &stop, nullptr);
    struct sigaction save {};
    save.sa_handler = on_save_signal;
    sigemptyset(&save.sa_mask);
    save.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &save, nullptr);
}

bool stop_requested() {
    return g_stop.load();
}
bool take_save_request() {
    return g_save.exchange(false);
}
void reset_run_signals() {
    g_stop.store(false);
    g_save.store(false);
}
void request_stop() {
    g_stop.store(true);
}

}  // namespace lathe::core::trainer
