#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/safetensors/header.h"
#include "core/util/mapped_file.h"

namespace lathe::core::safetensors {

// One .safetensors file, mapped copy-on-write and validated on open. Copies share the mapping.
class File {
  public:
    // Throws Error naming `path` when it cannot be read or is not a valid safetensors file.
    static File open(const std::string& path);

    const Header& header() const { return header_; }
    const std::string& path() const { return path_; }

    // Pointer into the mapping, valid while this File or mapping() is alive. `t` must come from
    // this file's header (checked against the file size; Error otherwise). Only 8-byte aligned
    // when the writer padded the header, which the Python writer and write_file() do.
    const std::uint8_t* data(const TensorInfo& t) const;

    std::shared_ptr<util::MappedFile> mapping() const { return mapping_; }

  private:
    File() = default;
    std::string path_;
    std::shared_ptr<util::MappedFile> mapping_;
    Header header_;
};

}  // namespace lathe::core::safetensors
