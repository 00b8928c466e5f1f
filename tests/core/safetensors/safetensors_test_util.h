#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/safetensors/header.h"
#include "core/util/error.h"

namespace lathe::tests {

// A safetensors file image: little-endian length, header text as given (no padding), data.
inline std::vector<std::uint8_t> make_image(const std::string& header, const std::string& data) {
    std::vector<std::uint8_t> out(8);
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) {
        out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
    }
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                     std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// The message of the Error that parse() throws for this image; fails the test if none.
inline std::string parse_error(const std::vector<std::uint8_t>& image,
                               const std::string& file_name = "bad.safetensors") {
    try {
        core::safetensors::parse(image.data(), image.size(), file_name);
    } catch (const core::Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "parse() accepted an invalid file";
    return {};
}

}  // namespace lathe::tests
