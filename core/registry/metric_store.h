#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry/records.h"
#include "core/registry/sqlite.h"

namespace lathe::core::registry {

// Metric names are stored once in metric_keys and points refer to them by integer. Points are
// queued per key and written by flush() into chunks (metric_chunks.h): one chunk rewrite per key
// and batch instead of one b-tree insert per number. Use inside a write transaction.
class MetricStore {
  public:
    explicit MetricStore(sqlite::Database& db) : db_(db) {}
    std::int64_t key_id(std::string_view name);
    // Queues a point of series (run, key) for flush().
    void add(std::int64_t key, const MetricPoint& point) { pending_[key].push_back(point); }
    // Writes the queued points of run `run`, keeping any (run, key, seq) already stored, and
    // returns how many were new.
    std::int64_t flush(std::int64_t run);
    // Forgets cached ids and queued points, e.g. after a rolled-back transaction.
    void clear() {
        ids_.clear();
        pending_.clear();
    }

  private:
    sqlite::Database& db_;
    // std::less<> finds a string_view without building a std::string (hot path of ingestion).
    std::map<std::string, std::int64_t, std::less<>> ids_;
    std::map<std::int64_t, std::vector<MetricPoint>> pending_;
};

}  // namespace lathe::core::registry
