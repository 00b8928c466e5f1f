#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/registry/records.h"
#include "core/registry/registry.h"

namespace lathe::core::registry {

struct IngestOptions {
    // Events per transaction: larger is faster, smaller loses less work to a crash.
    std::size_t batch_events = 5000;
};

struct IngestResult {
    std::int64_t events = 0;  // events applied (seq beyond what was already ingested)
    std::int64_t points = 0;  // metric points written
    // Lines that are not events ("PATH:LINE (byte N): not JSON: ...") and events with unusable
    // fields ("PATH: seq N (type): ..."): skipped, never fatal.
    std::vector<std::string> errors;
    IngestionProgress progress;  // where the next call will continue
};

// Brings the registry up to date with events.jsonl of run `run_id`, from the byte offset it
// stopped at. Each batch of events is written together with the new offset in one transaction,
// so the registry always reflects a prefix of the file, whatever moment a crash strikes; calling
// again completes it. Idempotent on (run, seq). A partial last line is left for the next call; a
// file shorter than the saved offset was replaced and is read again from the start.
// Throws Error naming the file or run when the file cannot be read or the run is unknown.
IngestResult ingest_events(Registry& registry, const std::string& run_id,
                           const std::string& events_path, const IngestOptions& options = {});

}  // namespace lathe::core::registry
