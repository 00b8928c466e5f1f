#include "remote/runs/remote_run_files.h"

#include <filesystem>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::remote::runs {

namespace {

nlohmann::json node_json(const RemoteRunLocation& location) {
    return {{"host", location.host},
            {"remote_run_dir", location.remote_run_dir},
            {"supervisor_command", location.supervisor_command}};
}

RemoteRunLocation node_from_json(const nlohmann::json& j) {
    RemoteRunLocation location;
    location.host = j.at("host").get<std::string>();
    location.remote_run_dir = j.at("remote_run_dir").get<std::string>();
    location.supervisor_command = j.at("supervisor_command").get<std::string>();
    return location;
}

}  // namespace

void write_remote_location(const std::string& mirror_dir, const RemoteRunLocation& location) {
    nlohmann::json j = node_json(location);
    if (!location.slurm_job_id.empty()) {
        j["slurm_job_id"] = location.slurm_job_id;
        j["slurm_command_prefix"] = location.slurm_command_prefix;
    }
    if (!location.other_nodes.empty()) {
        j["other_nodes"] = nlohmann::json::array();
        for (const auto& node : location.other_nodes)
            j["other_nodes"].push_back(node_json(node));
    }
    core::util::write_file_atomic((std::filesystem::path(mirror_dir) / kRemoteRunFile).string(),
                                  j.dump(2) + "\n");
}

RemoteRunLocation read_remote_location(const std::string& mirror_dir) {
    const std::string path = (std::filesystem::path(mirror_dir) / kRemoteRunFile).string();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(core::util::read_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw core::Error(path + ": not JSON: " + e.what());
    }
    RemoteRunLocation location;
    try {
        location = node_from_json(j);
        location.slurm_job_id = j.value("slurm_job_id", "");
        location.slurm_command_prefix = j.value("slurm_command_prefix", "");
        if (j.contains("other_nodes")) {
            for (const auto& node : j.at("other_nodes"))
                location.other_nodes.push_back(node_from_json(node));
        }
    } catch (const nlohmann::json::exception& e) {
        throw core::Error(path + ": " + e.what());
    }
    return location;
}

}  // namespace lathe::remote::runs
