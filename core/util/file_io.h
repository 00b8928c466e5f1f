#pragma once

#include <string>
#include <string_view>

namespace lathe::core::util {

// Reads a whole file; throws Error naming the path when it cannot.
std::string read_file(const std::string& path);

// Writes to `path` + ".tmp", fsyncs, then renames over `path`: readers see the old content or
// the new one, never a torn file.
void write_file_atomic(const std::string& path, std::string_view content);

// fsync of a directory, so that a rename inside it survives a power cut.
void sync_directory(const std::string& dir);

}  // namespace lathe::core::util
