#include "remote/runs/remote_run_files.h"

#include <filesystem>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::remote::runs {

void write_remote_location(const std::string& mirror_dir, const RemoteRunLocation& location) {
    const nlohmann::json j = {{"host", location.host},
                              {"remote_run_dir", location.remote_run_dir},
                              {"supervisor_command", location.supervisor_command}};
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
        location.host = j.at("host").get<std::string>();
        location.remote_run_dir = j.at("remote_run_dir").get<std::string>();
        location.supervisor_command = j.at("supervisor_command").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw core::Error(path + ": " + e.what());
    }
    return location;
}

}  // namespace lathe::remote::runs
