#include "core/safetensors/checkpoint.h"

#include <filesystem>
#include <unordered_map>

#include "core/safetensors/strict_json.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::safetensors {

namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

// Shards are plain file names next to the index; anything else could reach outside the folder.
bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of("/\\") == std::string::npos && name.find('\0') == std::string::npos;
}

bool regular_file_exists(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

}  // namespace

Checkpoint Checkpoint::open_dir(const std::string& dir) {
    Checkpoint checkpoint;
    checkpoint.dir_ = dir;
    const fs::path single = fs::path(dir) / kSingleFileName;
    const fs::path index = fs::path(dir) / kIndexFileName;

    if (regular_file_exists(single)) {
        checkpoint.files_.push_back(File::open(single.string()));
        const auto& tensors = checkpoint.files_[0].header().tensors;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            checkpoint.locations_.emplace(tensors[i].name, Location{0, i});
        }
        return checkpoint;
    }
    if (!regular_file_exists(index)) {
        throw Error(dir + ": no " + kSingleFileName + " or " + kIndexFileName + " in this folder");
    }

    const std::string index_path = index.string();
    const std::string text = util::read_file(index_path);
    const nlohmann::json root =
        parse_json_strict(text.data(), text.data() + text.size(), index_path);
    if (!root.is_object()) {
        throw Error(index_path + ": must be a JSON object");
    }
    auto weight_map = root.find("weight_map");
    if (weight_map == root.end() || !weight_map->is_object()) {
        throw Error(index_path + ": \"weight_map\" is missing or not an object");
    }

    std::map<std::string, std::size_t> file_of_shard;
    std::vector<std::unordered_map<std::string, std::size_t>> tensor_of_name;
    for (const auto& [name, shard_value] : weight_map->items()) {
        if (!shard_value.is_string()) {
            throw Error(index_path + ": weight_map entry for tensor " + quoted(name) +
                        " must be a file name string, got " + shard_value.type_name());
        }
        const auto& shard = shard_value.get_ref<const std::string&>();
        if (!is_plain_file_name(shard)) {
            throw Error(index_path + ": tensor " + quoted(name) + ": shard " + quoted(shard) +
                        " is not a plain file name in this folder");
        }
        auto found = file_of_shard.find(shard);
        if (found == file_of_shard.end()) {
            const fs::path shard_path = fs::path(dir) / shard;
            if (!regular_file_exists(shard_path)) {
                throw Error(index_path + ": shard " + quoted(shard) + " (holding tensor " +
                            quoted(name) + ") does not exist in " + dir);
            }
            try {
                checkpoint.files_.push_back(File::open(shard_path.string()));
            } catch (const Error& e) {
                throw Error(index_path + ": shard " + quoted(shard) + " (holding tensor " +
                            quoted(name) + "): " + e.what());
            }
            auto& names = tensor_of_name.emplace_back();
            const auto& tensors = checkpoint.files_.back().header().tensors;
            for (std::size_t i = 0; i < tensors.size(); ++i) {
                names.emplace(tensors[i].name, i);
            }
            found = file_of_shard.emplace(shard, checkpoint.files_.size() - 1).first;
        }
        const std::size_t file = found->second;
        auto tensor = tensor_of_name[file].find(name);
        if (tensor == tensor_of_name[file].end()) {
            throw Error(index_path + ": tensor " + quoted(name) + " is mapped to shard " +
                        quoted(shard) + ", which has no such tensor");
        }
        checkpoint.locations_.emplace(name, Location{file, tensor->second});
    }
    return checkpoint;
}

std::vector<std::string> Checkpoint::names() const {
    std::vector<std::string> out;
    out.reserve(locations_.size());
    for (const auto& [name, location] : locations_) {
        out.push_back(name);
    }
    return out;
}

bool Checkpoint::contains(const std::string& name) const {
    return locations_.count(name) > 0;
}

const Checkpoint::Location& Checkpoint::locate(const std::string& name) const {
    auto it = locations_.find(name);
    if (it == locations_.end()) {
        throw Error(dir_ + ": checkpoint has no tensor " + quoted(name));
    }
    return it->second;
}

const TensorInfo& Checkpoint::info(const std::string& name) const {
    const Location& location = locate(name);
    return files_[location.file].header().tensors[location.tensor];
}

const File& Checkpoint::file_of(const std::string& name) const {
    return files_[locate(name).file];
}

}  // namespace lathe::core::safetensors
