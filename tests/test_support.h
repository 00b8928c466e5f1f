#pragma once

#include <filesystem>
#include <string>

#include <unistd.h>

namespace lathe::tests {

// tests/fixtures, found from this header's own location so that tests run from any directory.
inline std::filesystem::path fixtures_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "fixtures";
}

inline std::string fixture(const std::string& relative) {
    return (fixtures_dir() / relative).string();
}

// A fresh, empty directory under the system temp dir, unique to this process and name.
inline std::filesystem::path temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("lathe-test-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace lathe::tests
