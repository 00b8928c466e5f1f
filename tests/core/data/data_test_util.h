#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "core/util/error.h"

namespace lathe::tests {

inline std::string write_text(const std::filesystem::path& dir, const std::string& name,
                              const std::string& content) {
    const auto path = dir / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    return path.string();
}

// The message of the lathe::core::Error that `fn` throws; a test failure when it throws none.
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const lathe::core::Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a lathe::core::Error";
    return "";
}

}  // namespace lathe::tests

#define EXPECT_CONTAINS(haystack, needle)                            \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
        << "expected to find: " << (needle) << "\n in: " << (haystack)
