#include "core/events/event_types.h"

namespace lathe::core::events {

const std::vector<std::string>& event_types() {
    static const std::vector<std::string> types = {
        kRunStarted, kLog,      kEval,    kCheckpointSaved, kCheckpointDeleted,
        kSample,     kProgress, kWarning, kRunFinished,     kRunFailed};
    return types;
}

bool is_terminal(const std::string& type) {
    return type == kRunFinished || type == kRunFailed;
}

}  // namespace lathe::core::events
