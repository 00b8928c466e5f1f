#pragma once

namespace lathe::core::trainer {

// SIGTERM and SIGINT ask the run to save a checkpoint and stop (reason "stopped"); SIGUSR1 asks
// for a checkpoint now and training goes on. Handlers only set flags; the loop acts on them
// after the optimizer step in progress.
void install_run_signal_handlers();
bool stop_requested();
bool take_save_request();  // true once per SIGUSR1
void reset_run_signals();  // for tests
void request_stop();       // what SIGTERM does, callable in-process

}  // namespace lathe::core::trainer
