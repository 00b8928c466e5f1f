#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lathe::core::util {

// A whole file mapped copy-on-write: pages are shared with the page cache until written, so
// tensors can point straight into the file and a stray write never reaches the disk.
class MappedFile {
  public:
    static std::shared_ptr<MappedFile> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return path_; }
    std::uint8_t* data() const { return data_; }
    std::size_t size_bytes() const { return size_bytes_; }

  private:
    MappedFile() = default;
    std::string path_;
    std::uint8_t* data_ = nullptr;
    std::size_t size_bytes_ = 0;
};

}  // namespace lathe::core::util
