#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/safetensors/file.h"
#include "core/safetensors/header.h"

namespace lathe::core::safetensors {

constexpr const char* kSingleFileName = "model.safetensors";
constexpr const char* kIndexFileName = "model.safetensors.index.json";

// The weights of a model folder, as transformers' from_pretrained finds them: model.safetensors
// if present, else model.safetensors.index.json and the shards its weight_map names. The
// weight_map is authoritative: tensors a shard holds but the map does not list are not exposed.
class Checkpoint {
  public:
    static Checkpoint open_dir(const std::string& dir);

    std::vector<std::string> names() const;  // sorted
    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;  // Error naming the tensor if absent
    const File& file_of(const std::string& name) const;     // Error naming the tensor if absent

  private:
    Checkpoint() = default;
    struct Location {
        std::size_t file = 0;
        std::size_t tensor = 0;
    };
    const Location& locate(const std::string& name) const;

    std::string dir_;
    std::vector<File> files_;
    std::map<std::string, Location> locations_;
};

}  // namespace lathe::core::safetensors
