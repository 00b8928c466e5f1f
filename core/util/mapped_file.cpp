#include "core/util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/util/error.h"

namespace lathe::core::util {

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error(path + ": cannot open: " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw Error(path + ": cannot stat: " + std::strerror(err));
    }
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
    file->size_bytes_ = static_cast<std::size_t>(st.st_size);
    if (file->size_bytes_ > 0) {
        void* p = ::mmap(nullptr, file->size_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            throw Error(path + ": cannot map: " + std::strerror(err));
        }
        file->data_ = static_cast<std::uint8_t*>(p);
#ifdef MADV_POPULATE_READ
        // Map every page readable up front (one call instead of a fault per 4 KiB page) without
        // breaking copy-on-write; kernels before 5.14 refuse it and fault lazily instead.
        ::madvise(p, file->size_bytes_, MADV_POPULATE_READ);
#else
        ::madvise(p, file->size_bytes_, MADV_WILLNEED);
#endif
    }
    ::close(fd);
    return file;
}

MappedFile::~MappedFile() {
    if (data_ != nullptr) {
        ::munmap(data_, size_bytes_);
    }
}

}  // namespace lathe::core::util
