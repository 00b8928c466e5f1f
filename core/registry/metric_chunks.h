#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry/records.h"
#include "core/registry/sqlite.h"

// Metric points live in chunks (table metric_chunks, schema v4): up to kChunkPoints points of one
// (run, key), consecutive by seq, packed in one blob. A 1,000,000-point series is then ~2,000 rows
// to read instead of 1,000,000, and ingestion rewrites only the last (open) chunk of each key per
// batch instead of inserting a b-tree row per number.
//
// Invariant: the chunks of a (run, key) hold disjoint seq ranges [first_seq, last_seq], each
// chunk's points sorted by seq without repeats, so the series is the chunks in first_seq order.
namespace lathe::core::registry {

inline constexpr std::size_t kChunkPoints = 512;

// The blob, point after point (seq ascending): varint((seq - previous seq) << 1 | epoch present),
// varint(zigzag(step - previous step)), then the little-endian IEEE doubles epoch (only when
// present), time and value; "previous" starts at the row's first_seq and step 0. Usually 19 or 27
// bytes a point, against ~50 for a row of the v3 metrics table. Part of schema v4: changing it
// takes a new schema version.
std::string encode_chunk(const MetricPoint* begin, const MetricPoint* end);
// Appends the points of `blob` (a chunk starting at `first_seq`) to `out`; false when it does not
// decode to whole points.
bool decode_chunk(std::string_view blob, std::int64_t first_seq, std::vector<MetricPoint>& out);

// Adds `points` (any order; of repeated seqs the first wins) to the series (run, key); a seq
// already stored keeps its stored point, as INSERT OR IGNORE did. Returns how many were new.
// Rewrites only the chunks whose range the new seqs reach. `points` is left sorted by seq without
// repeats (done in place: callers reuse the vector). Call inside a write transaction.
std::int64_t merge_metric_points(sqlite::Database& db, std::int64_t run, std::int64_t key,
                                 std::vector<MetricPoint>& points);

// The series (run, key) in seq order, appended to `out`; with after_seq > 0 only points whose seq
// is larger, reading only the chunks that can hold them. Throws Error naming the registry file
// and `what` (the run) when a chunk is damaged.
void read_metric_series(const sqlite::Database& db, std::int64_t run, std::int64_t key,
                        const std::string& what, std::vector<MetricPoint>& out,
                        std::int64_t after_seq = 0);

}  // namespace lathe::core::registry
