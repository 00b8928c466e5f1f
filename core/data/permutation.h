#pragma once

#include <cstdint>
#include <vector>

namespace lathe::core::data {

// A permutation of 0..n-1 from std::mt19937_64(seed) and a hand-written Fisher-Yates shuffle.
// std::shuffle and std::uniform_int_distribution are implementation-defined, so using them would
// give different splits and epoch orders under libstdc++ and libc++; mt19937_64's raw output is
// fixed by the standard, which makes this identical everywhere.
std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed);

}  // namespace lathe::core::data
