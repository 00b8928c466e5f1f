#include "core/safetensors/file.h"

#include "core/util/error.h"

namespace lathe::core::safetensors {

File File::open(const std::string& path) {
    File file;
    file.path_ = path;
    file.mapping_ = util::MappedFile::open(path);
    file.header_ = parse(file.mapping_->data(), file.mapping_->size_bytes(), path);
    return file;
}

const std::uint8_t* File::data(const TensorInfo& t) const {
    const std::uint64_t data_bytes = mapping_->size_bytes() - header_.data_start;
    if (t.begin > t.end || t.end > data_bytes) {
        throw Error(path_ + ": tensor \"" + t.name + "\": data_offsets [" +
                    std::to_string(t.begin) + ", " + std::to_string(t.end) +
                    "] are outside this file's data buffer of " + std::to_string(data_bytes) +
                    " bytes");
    }
    return mapping_->data() + header_.data_start + t.begin;
}

}  // namespace lathe::core::safetensors
