#include "remote/runs/node_failure.h"

#include <nlohmann/json.hpp>

namespace lathe::remote::runs {

namespace {

constexpr const char* kAttributedPrefix = "node ";
constexpr const char* kAttributedMark = ") failed first: ";

}  // namespace

std::optional<NodeFailure> last_run_failed(const std::string& events_text) {
    std::optional<NodeFailure> found;
    std::size_t start = 0;
    while (start < events_text.size()) {
        std::size_t end = events_text.find('\n', start);
        if (end == std::string::npos)
            end = events_text.size();
        const std::string_view line(events_text.data() + start, end - start);
        start = end + 1;
        if (line.find("\"run_failed\"") == std::string_view::npos)
            continue;
        const auto event = nlohmann::json::parse(line, nullptr, false);
        if (!event.is_object() || event.value("type", "") != "run_failed")
            continue;
        NodeFailure failure;
        failure.time = event.value("time", 0.0);
        failure.reason = event.value("reason", "");
        failure.message = event.value("message", "");
        found = failure;
    }
    return found;
}

std::string first_failure_reason(int node, const std::string& host, const NodeFailure& failure,
                                 const std::string& node0_reason) {
    return kAttributedPrefix + std::to_string(node) + " (" + host + kAttributedMark +
           failure.reason + ": " + failure.message + "; node 0 then reported: " + node0_reason;
}

bool is_attributed(const std::string& failure_reason) {
    return failure_reason.rfind(kAttributedPrefix, 0) == 0 &&
           failure_reason.find(kAttributedMark) != std::string::npos;
}

}  // namespace lathe::remote::runs
