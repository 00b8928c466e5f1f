#pragma once

#include <optional>
#include <string>

namespace lathe::remote::runs {

// What one node's agent reported when a multi-node run failed: the last run_failed event of its
// events.jsonl.
struct NodeFailure {
    double time = 0.0;  // unix seconds, as the event says
    std::string reason;
    std::string message;
};

// The last run_failed event in an events.jsonl text; nullopt when there is none. Lines that are
// not JSON (a partial last line) are skipped.
std::optional<NodeFailure> last_run_failed(const std::string& events_text);

// A multi-node run's failure reason once node `node` (on `host`) is known to have failed before
// node 0, whose agent only saw its ranks lose the collective: the first cause, then node 0's
// report. Starts with "node N (HOST) failed first: ", which also marks a reason as attributed.
std::string first_failure_reason(int node, const std::string& host, const NodeFailure& failure,
                                 const std::string& node0_reason);
bool is_attributed(const std::string& failure_reason);

}  // namespace lathe::remote::runs
