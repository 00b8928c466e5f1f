#pragma once

namespace lathe::app {

// lathe-train's exit codes (docs/lathe-train.md). The studio and CLI map them to run statuses.
enum ExitCode : int {
    kExitSuccess = 0,        // trained to the end (or stopped early by EarlyStopping)
    kExitFailure = 1,        // the run failed: out of memory, non-finite loss, an exception
    kExitInvalidConfig = 2,  // run.json or an override is invalid: nothing was started
    kExitDataError = 3,      // a dataset file is missing or unreadable: nothing was trained
    kExitStopped = 4,        // SIGTERM/SIGINT: a checkpoint was saved, then the run stopped
};

}  // namespace lathe::app
