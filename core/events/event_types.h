#pragma once

#include <string>
#include <vector>

namespace lathe::core::events {

// The event types of events.jsonl (docs/events.md describes each one's fields). Readers must
// skip types they do not know: later versions may add some.
inline constexpr const char* kRunStarted = "run_started";
inline constexpr const char* kLog = "log";
inline constexpr const char* kEval = "eval";
inline constexpr const char* kCheckpointSaved = "checkpoint_saved";
inline constexpr const char* kCheckpointDeleted = "checkpoint_deleted";
inline constexpr const char* kSample = "sample";
inline constexpr const char* kProgress = "progress";
inline constexpr const char* kWarning = "warning";
inline constexpr const char* kRunFinished = "run_finished";
inline constexpr const char* kRunFailed = "run_failed";

// run_finished "reason".
inline constexpr const char* kFinishedCompleted = "completed";
inline constexpr const char* kFinishedStopped = "stopped";
inline constexpr const char* kFinishedEarlyStopping = "early_stopping";

// run_failed "reason".
inline constexpr const char* kFailedOutOfMemory = "out_of_memory";
inline constexpr const char* kFailedNonFiniteLoss = "non_finite_loss";
inline constexpr const char* kFailedException = "exception";
inline constexpr const char* kFailedDataError = "data_error";
inline constexpr const char* kFailedInvalidConfig = "invalid_config";

// Every type above, in the order of docs/events.md.
const std::vector<std::string>& event_types();

// run_finished and run_failed: exactly one of them ends a run, and nothing follows it.
bool is_terminal(const std::string& type);

}  // namespace lathe::core::events
