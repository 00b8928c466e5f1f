#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "ui/dashboard/chunked_column.h"

namespace lathe::ui::dashboard {

// Where the smallest and largest finite value of a range are (an index past the range when it
// holds none).
template <typename Y>
struct RangeExtremes {
    std::size_t min_index = 0;
    std::size_t max_index = 0;
    Y min_value = std::numeric_limits<Y>::infinity();
    Y max_value = -std::numeric_limits<Y>::infinity();

    void take(Y value, std::size_t index) {
        // Comparing against infinity keeps NaN and +-inf from becoming an extreme.
        constexpr Y kInf = std::numeric_limits<Y>::infinity();
        if (value < min_value && value > -kInf) {
            min_value = value;
            min_index = index;
        }
        if (value > max_value && value < kInf) {
            max_value = value;
            max_index = index;
        }
    }
};

// Extremes of y[begin, end) by looking at every point.
template <typename Y>
void scan_extremes(const ChunkedColumn<Y>& y, std::size_t begin, std::size_t end,
                   RangeExtremes<Y>& extremes) {
    // A local copy stays in registers; through the reference every step was a store and a load.
    RangeExtremes<Y> local = extremes;
    y.for_each_span(begin, end, [&](const Y* values, std::size_t n, std::size_t base) {
        for (std::size_t k = 0; k < n; ++k) {
            local.take(values[k], base + k);
        }
    });
    extremes = local;
}

// Per-block extremes of a column at block sizes 16, 256, 4096, ... so that the extremes of any
// index range cost O(16 * levels) lookups instead of one per point. This is what makes a replot
// of a zoomed-out chart cost O(pixel columns), not O(points): a pixel column over 600 points
// reads ~60 entries. Only complete blocks are summarised; the growing tail is scanned raw, so
// live appends cost O(new points). Memory: 8 + 2 * sizeof(Y) bytes per 16 points, i.e. 1.6 B per
// point for double and 1.1 B for float, all levels included.
template <typename Y>
class MinMaxPyramid {
  public:
    static constexpr std::size_t kFanoutShift = 4;
    static constexpr std::size_t kFanout = std::size_t{1} << kFanoutShift;
    static constexpr int kLevels = 5;

    void reset() {
        for (auto& level : levels_) {
            level.clear();
        }
    }

    void extend(const ChunkedColumn<Y>& y) {
        // Level 0 from the points, level L from level L-1's blocks.
        while ((levels_[0].size() + 1) * kFanout <= y.size()) {
            const std::size_t begin = levels_[0].size() * kFanout;
            RangeExtremes<Y> extremes{begin, begin};
            scan_extremes(y, begin, begin + kFanout, extremes);
            levels_[0].push_back(pack(extremes));
        }
        for (int level = 1; level < kLevels; ++level) {
            const auto& below = levels_[level - 1];
            while ((levels_[level].size() + 1) * kFanout <= below.size()) {
                const std::size_t begin = levels_[level].size() * kFanout;
                RangeExtremes<Y> extremes{below[begin].min_index, below[begin].max_index};
                for (std::size_t k = begin; k < begin + kFanout; ++k) {
                    merge(below[k], extremes);
                }
                levels_[level].push_back(pack(extremes));
            }
        }
    }

    // Extremes of y[begin, end); uses summaries for blocks extend() has seen.
    RangeExtremes<Y> query(const ChunkedColumn<Y>& y, std::size_t begin, std::size_t end) const {
        RangeExtremes<Y> extremes{begin, begin};
        // Start at the highest level whose blocks can fit in the range; above it there is
        // nothing to gain but recursion.
        int level = 0;
        while (level + 1 < kLevels &&
               (std::size_t{1} << (kFanoutShift * static_cast<std::size_t>(level + 2))) <=
                   end - begin) {
            ++level;
        }
        collect(y, begin, end, end - begin >= kFanout ? level : -1, extremes);
        return extremes;
    }

    std::size_t memory_bytes() const {
        std::size_t bytes = 0;
        for (const auto& level : levels_) {
            bytes += level.memory_bytes();
        }
        return bytes;
    }

  private:
    // The values are stored beside the indices: reading them back through the indices would be
    // a dependent random load per block, which made queries barely faster than a scan.
    struct Block {
        std::uint32_t min_index;
        std::uint32_t max_index;
        Y min_value;
        Y max_value;
    };

    static Block pack(const RangeExtremes<Y>& extremes) {
        return {static_cast<std::uint32_t>(extremes.min_index),
                static_cast<std::uint32_t>(extremes.max_index), extremes.min_value,
                extremes.max_value};
    }

    static void merge(const Block& block, RangeExtremes<Y>& extremes) {
        // Block values are finite or +-inf sentinels (no finite value in the block), and strict
        // comparisons keep the earliest index on ties, as a scan does.
        if (block.min_value < extremes.min_value) {
            extremes.min_value = block.min_value;
            extremes.min_index = block.min_index;
        }
        if (block.max_value > extremes.max_value) {
            extremes.max_value = block.max_value;
            extremes.max_index = block.max_index;
        }
    }

    void collect(const ChunkedColumn<Y>& y, std::size_t begin, std::size_t end, int level,
                 RangeExtremes<Y>& extremes) const {
        if (begin >= end) {
            return;
        }
        if (level < 0) {
            scan_extremes(y, begin, end, extremes);
            return;
        }
        const std::size_t shift = kFanoutShift * static_cast<std::size_t>(level + 1);
        const std::size_t block_size = std::size_t{1} << shift;
        const std::size_t first_block = (begin + block_size - 1) >> shift;
        std::size_t last_block = end >> shift;  // exclusive
        if (last_block > levels_[level].size()) {
            last_block = levels_[level].size();
        }
        if (first_block >= last_block) {
            collect(y, begin, end, level - 1, extremes);
            return;
        }
        collect(y, begin, first_block << shift, level - 1, extremes);
        const auto& blocks = levels_[level];
        RangeExtremes<Y> local = extremes;
        blocks.for_each_span(first_block, last_block,
                             [&](const Block* span, std::size_t n, std::size_t) {
                                 for (std::size_t k = 0; k < n; ++k) {
                                     merge(span[k], local);
                                 }
                             });
        extremes = local;
        collect(y, last_block << shift, end, level - 1, extremes);
    }

    ChunkedColumn<Block> levels_[kLevels];
};

}  // namespace lathe::ui::dashboard
