#pragma once

namespace lathe::core::launch {

// lathe-supervisor's control commands, run on the node that holds a run (over SSH for remote
// runs, so that the pid-reuse-safe checks of probe.h happen where the processes are):
//
//   lathe-supervisor --probe RUN_DIR          prints the run's ProcessState as one JSON line
//   lathe-supervisor --signal NAME RUN_DIR    TERM, INT, USR1 or KILL to the trainer, only
//                                             while probe() says it is alive
//   lathe-supervisor --version
//
// Returns 0 on success, 1 when the signal could not be sent (the message on stderr says why:
// "the trainer process is not running"), 2 for bad arguments or an unreadable record.
// `handled` is false when argv is not a control command (then it is the supervisor's own).
int run_control_command(int argc, char** argv, bool* handled);

}  // namespace lathe::core::launch
