#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "ui/dashboard/chunked_column.h"
#include "ui/dashboard/min_max_pyramid.h"

namespace lathe::ui::dashboard {

// The visible x range and how many pixel columns it is drawn on.
struct LodWindow {
    double x_min = 0.0;
    double x_max = 1.0;
    int width_px = 1;
};

// Where a decimation may pick up again after points were appended, the window unchanged: the
// columns are fixed by x, so every column before the last non-empty one is final, and only that
// last column (which the new points may extend) and the ones after it need decimating again.
struct LodResume {
    std::size_t column_begin = 0;  // source index of the last non-empty column's first point
    bool valid = false;            // false after a decimation that found no point in the window
};

struct LodPoint {
    double x = 0.0;
    double y = 0.0;
    std::size_t index = 0;  // into the source series, so a caller can map back to exact data
};

// Level-of-detail reduction for line plots (PlotJuggler's rule).
//
// Guarantee: for every pixel column that holds at least one point, the output keeps that
// column's first point, its minimum, its maximum and its last point, in index order. A spike of
// a single point is the extreme of its column, so it is never hidden; the line drawn through the
// kept points covers exactly the vertical extent the full data would cover in that column, and
// joins neighbouring columns at the same points. Also kept: the last point left of the window and
// the first point right of it, so lines run to the edges. At most 4 * width_px + 2 points.
// Non-finite values are never output (they cannot be drawn) and never count as extremes.
//
// Cost: two binary searches for the window and one per non-empty column for its end. The
// extremes of a column come from `pyramid` when given (O(16 * levels) per column, so a replot
// costs O(pixel columns * log points)); without it, every point in the window is read once.
//
// Resuming: with `resume` valid, decimation starts at resume->column_begin and `out` receives
// only the points from that column on; the caller drops what it kept from that x on and appends
// `out`. The result is the same as a full decimation's (the tests check it). Either way, `resume`
// is left describing this decimation's last non-empty column.
//
// Precondition: x_at(i) is non-decreasing in i (SeriesData enforces it).
template <typename XAt, typename Y>
void decimate(std::size_t count, XAt&& x_at, const ChunkedColumn<Y>& y, const LodWindow& window,
              std::vector<LodPoint>& out, const MinMaxPyramid<Y>* pyramid = nullptr,
              LodResume* resume = nullptr) {
    out.clear();
    const bool resuming = resume != nullptr && resume->valid;
    if (resume != nullptr) {
        resume->valid = false;
    }
    if (count == 0 || window.width_px <= 0 || !(window.x_max >= window.x_min)) {
        return;
    }
    // First index in [lo, hi) whose x is >= bound (or > bound when strict).
    auto search = [&](std::size_t lo, std::size_t hi, double bound, bool strict) {
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            const double x = x_at(mid);
            if (strict ? x <= bound : x < bound) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    };
    // The extremes come with their values: reading y[i] again would be a cache miss per point.
    auto keep_value = [&](std::size_t i, double value) {
        if (std::isfinite(value) && (out.empty() || out.back().index != i)) {
            out.push_back({x_at(i), value, i});
        }
    };
    auto keep = [&](std::size_t i) { keep_value(i, static_cast<double>(y[i])); };

    const std::size_t first = resuming ? std::min(resume->column_begin, count) : 0;
    const std::size_t begin = search(first, count, window.x_min, false);
    const std::size_t end = search(begin, count, window.x_max, true);
    if (begin > 0 && !resuming) {
        keep(begin - 1);
    }
    const int columns = window.width_px;
    const double span = window.x_max - window.x_min;
    const double column_width = span > 0.0 ? span / columns : 1.0;

    // First index in (i, end] whose x is >= bound. Neighbouring columns hold similar numbers of
    // points, so probing at i + the previous column's count and galloping outwards touches ~2
    // cache lines; a plain binary search from i missed the cache ~20 times per column and was
    // most of the replot time at 1M points.
    auto find_column_end = [&](std::size_t i, std::size_t hi, double bound, std::size_t hint) {
        std::size_t lo = i + 1;
        const std::size_t guess = std::min(hi, lo - 1 + hint);
        std::size_t step = 1;
        if (guess < hi && x_at(guess) < bound) {
            lo = guess + 1;  // x_at(lo - 1) < bound holds from here on
            while (lo + step - 1 < hi && x_at(lo + step - 1) < bound) {
                lo += step;
                step *= 2;
            }
            hi = std::min(hi, lo + step - 1);
        } else {
            hi = std::max(lo, guess);  // the answer is <= hi
            while (hi >= lo + step && x_at(hi - step) >= bound) {
                hi -= step;
                step *= 2;
            }
            if (hi >= lo + step) {
                lo = hi - step + 1;
            }
        }
        return search(lo, hi, bound, false);
    };

    std::size_t points_per_column = (end - begin) / static_cast<std::size_t>(columns);
    std::size_t i = begin;
    while (i < end) {
        const double x = x_at(i);
        int column = static_cast<int>((x - window.x_min) / column_width);
        column = std::clamp(column, 0, columns - 1);
        // The division can round across a boundary; settle the column with the same comparison
        // the column ends are found with, so that points of equal x always share a column (a
        // resumed decimation relies on the next column starting at a strictly larger x).
        while (column < columns - 1 && x >= window.x_min + (column + 1) * column_width)
            ++column;
        while (column > 0 && x < window.x_min + column * column_width)
            --column;
        std::size_t column_end = end;
        if (column < columns - 1) {
            column_end = find_column_end(i, end, window.x_min + (column + 1) * column_width,
                                         std::max<std::size_t>(1, points_per_column));
            points_per_column = column_end - i;
        }

        if (resume != nullptr) {
            *resume = {i, true};
        }
        RangeExtremes<Y> extremes{i, i};
        if (pyramid != nullptr) {
            extremes = pyramid->query(y, i, column_end);
        } else {
            scan_extremes(y, i, column_end, extremes);
        }
        keep(i);
        const auto min_value = static_cast<double>(extremes.min_value);
        const auto max_value = static_cast<double>(extremes.max_value);
        if (extremes.min_index <= extremes.max_index) {
            keep_value(extremes.min_index, min_value);
            keep_value(extremes.max_index, max_value);
        } else {
            keep_value(extremes.max_index, max_value);
            keep_value(extremes.min_index, min_value);
        }
        keep(column_end - 1);
        i = column_end;
    }
    if (end < count) {
        keep(end);
    }
}

}  // namespace lathe::ui::dashboard
