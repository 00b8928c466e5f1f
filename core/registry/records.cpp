#include "core/registry/records.h"

#include <array>
#include <utility>

#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 7> kNames{{
    {RunStatus::queued, "queued"},
    {RunStatus::starting, "starting"},
    {RunStatus::running, "running"},
    {RunStatus::finished, "finished"},
    {RunStatus::failed, "failed"},
    {RunStatus::stopped, "stopped"},
    {RunStatus::lost, "lost"},
}};

}  // namespace

std::string to_string(RunStatus status) {
    for (const auto& [value, name] : kNames) {
        if (value == status)
            return name;
    }
    return "unknown";
}

RunStatus parse_run_status(const std::string& text) {
    for (const auto& [value, name] : kNames) {
        if (text == name)
            return value;
    }
    std::string valid;
    for (const auto& entry : kNames) {
        valid += (valid.empty() ? "" : ", ") + std::string(entry.second);
    }
    throw Error("run status \"" + text + "\" is not valid (valid: " + valid + ")");
}

bool is_terminal(RunStatus status) {
    return status == RunStatus::finished || status == RunStatus::failed ||
           status == RunStatus::stopped || status == RunStatus::lost;
}

bool is_live(RunStatus status) {
    return status == RunStatus::starting || status == RunStatus::running;
}

}  // namespace lathe::core::registry
