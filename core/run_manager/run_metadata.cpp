#include "core/run_manager/run_metadata.h"

#include <filesystem>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::core::run_manager {

json to_json(const RunMetadata& m) {
    json j = {{"id", m.id},
              {"name", m.name},
              {"kind", m.kind},
              {"target", m.target},
              {"processes", m.processes},
              {"extra_hosts", m.extra_hosts},
              {"max_failures", m.max_failures},
              {"attempt", m.attempt},
              {"slurm", m.slurm},
              {"gpus", m.gpus},
              {"created_at", m.created_at},
              {"parent_run_id", m.parent_run_id},
              {"parent_checkpoint", m.parent_checkpoint},
              {"fork_diff", m.fork_diff},
              {"tags", m.tags},
              {"notes", m.notes},
              {"cancelled", m.cancelled}};
    if (!m.import_source.empty())
        j["import_source"] = m.import_source;
    return j;
}

namespace {

template <typename T>
void read_field(const json& j, const char* key, T& out, const std::string& source) {
    if (!j.contains(key))
        return;
    try {
        out = j.at(key).get<T>();
    } catch (const json::exception&) {
        throw Error(source + ": \"" + key + "\" has the wrong type (" + j.at(key).dump() + ")");
    }
}

}  // namespace

RunMetadata run_metadata_from_json(const json& j, const std::string& source) {
    if (!j.is_object())
        throw Error(source + ": expected a JSON object");
    RunMetadata m;
    read_field(j, "id", m.id, source);
    if (m.id.empty())
        throw Error(source + ": \"id\" is missing or empty");
    read_field(j, "name", m.name, source);
    read_field(j, "kind", m.kind, source);
    read_field(j, "target", m.target, source);
    read_field(j, "processes", m.processes, source);
    read_field(j, "extra_hosts", m.extra_hosts, source);
    read_field(j, "max_failures", m.max_failures, source);
    read_field(j, "attempt", m.attempt, source);
    if (j.contains("slurm"))
        m.slurm = j.at("slurm");
    read_field(j, "gpus", m.gpus, source);
    if (m.processes < 1)
        throw Error(source + ": \"processes\" must be at least 1 (got " +
                    std::to_string(m.processes) + ")");
    read_field(j, "created_at", m.created_at, source);
    read_field(j, "parent_run_id", m.parent_run_id, source);
    read_field(j, "parent_checkpoint", m.parent_checkpoint, source);
    if (j.contains("fork_diff"))
        m.fork_diff = j.at("fork_diff");
    read_field(j, "tags", m.tags, source);
    read_field(j, "notes", m.notes, source);
    read_field(j, "import_source", m.import_source, source);
    read_field(j, "cancelled", m.cancelled, source);
    return m;
}

void write_run_metadata(const std::string& run_dir, const RunMetadata& m) {
    util::write_file_atomic((fs::path(run_dir) / kRunMetadataFile).string(),
                            to_json(m).dump(2) + "\n");
}

RunMetadata read_run_metadata(const std::string& run_dir) {
    const std::string path = (fs::path(run_dir) / kRunMetadataFile).string();
    if (!fs::exists(path))
        throw Error(path + ": missing (not a Lathe run directory)");
    json j;
    try {
        j = json::parse(util::read_file(path));
    } catch (const json::parse_error& e) {
        throw Error(path + ": not valid JSON (" + e.what() + ")");
    }
    return run_metadata_from_json(j, path);
}

RunMetadata read_run_metadata_or_defaults(const std::string& run_dir) {
    if (!fs::exists(fs::path(run_dir) / kRunMetadataFile))
        return RunMetadata{};
    return read_run_metadata(run_dir);
}

}  // namespace lathe::core::run_manager
