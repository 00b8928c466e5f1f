#include "core/data/permutation.h"

#include <limits>
#include <numeric>
#include <random>

namespace lathe::core::data {

std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n > 0 ? n : 0));
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::mt19937_64 rng(seed);
    for (std::int64_t i = n - 1; i > 0; --i) {
        // Rejection sampling keeps every j equally likely (plain modulo would favour small j).
        const std::uint64_t range = static_cast<std::uint64_t>(i) + 1;
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                    std::numeric_limits<std::uint64_t>::max() % range;
        std::uint64_t r = rng();
        while (r >= limit) {
            r = rng();
        }
        const auto j = static_cast<std::int64_t>(r % range);
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
    return order;
}

}  // namespace lathe::core::data
