#pragma once

namespace lathe::core::util {

// Lathe's version, as `lathe-train --version` and `lathe-supervisor --version` print it. Kept
// here rather than as a compile definition so that bumping it recompiles two files, not the
// whole tree; tests/core/util/version_test.cpp checks it against CMake's project(VERSION).
inline constexpr const char* kLatheVersion = "0.1.0";

}  // namespace lathe::core::util
