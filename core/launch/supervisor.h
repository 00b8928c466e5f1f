#pragma once

namespace lathe::core::launch {

// The whole of lathe-supervisor (app/lathe_supervisor/main.cpp); argv as parse_supervisor_args
// reads it. Starts the trainer with stdin on /dev/null and stdout/stderr appended to the run's
// stdout.log and stderr.log, writes supervisor.json before the trainer runs, forwards SIGTERM,
// SIGINT, SIGUSR1 and SIGHUP to it, and writes lathe-train.exit.json once it has ended; then
// execs the then-command, if any. Its own messages go to supervisor.log.
//
// Returns what a shell would: the trainer's exit code, or 128 + the signal that killed it;
// 2 for bad arguments, 1 when it could not set the run up.
int run_supervisor(int argc, char** argv);

}  // namespace lathe::core::launch
