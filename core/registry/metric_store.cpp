#include "core/registry/metric_store.h"

#include "core/registry/metric_chunks.h"

namespace lathe::core::registry {

std::int64_t MetricStore::key_id(std::string_view name) {
    if (auto it = ids_.find(name); it != ids_.end())
        return it->second;
    const std::string text(name);
    db_.cached("INSERT OR IGNORE INTO metric_keys(name) VALUES (?1)").bind(1, text).run();
    auto& select = db_.cached("SELECT key_id FROM metric_keys WHERE name = ?1");
    select.bind(1, text);
    select.step();
    const std::int64_t id = select.int64(0);
    select.reset();
    ids_.emplace(text, id);
    return id;
}

std::int64_t MetricStore::flush(std::int64_t run) {
    std::int64_t added = 0;
    for (auto& [key, points] : pending_) {
        if (!points.empty())
            added += merge_metric_points(db_, run, key, points);
        points.clear();  // keeps its capacity for the next batch
    }
    return added;
}

}  // namespace lathe::core::registry
