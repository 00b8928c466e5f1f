// Registry: hosts added by hand.
#include <chrono>

#include "core/registry/registry.h"
#include "core/util/error.h"

namespace lathe::core::registry {

namespace {

double now_unix_s() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

nlohmann::json parse_spec(const std::string& text, const std::string& name,
                          const std::string& path) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": host '" + name + "': spec is not JSON: " + e.what());
    }
}

}  // namespace

void Registry::put_host(const std::string& name, const nlohmann::json& spec) {
    if (name.empty())
        throw Error(path() + ": a host needs a name");
    db_.cached(
           "INSERT INTO hosts(name, spec, added_at) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO "
           "UPDATE SET spec = excluded.spec")
        .bind(1, name)
        .bind(2, spec.dump())
        .bind(3, now_unix_s())
        .run();
}

std::optional<nlohmann::json> Registry::find_host(const std::string& name) const {
    auto& stmt = db_.cached("SELECT spec FROM hosts WHERE name = ?1");
    stmt.bind(1, name);
    std::optional<nlohmann::json> spec;
    if (stmt.step())
        spec = parse_spec(stmt.text(0), name, path());
    stmt.reset();
    return spec;
}

std::vector<std::pair<std::string, nlohmann::json>> Registry::list_hosts() const {
    auto& stmt = db_.cached("SELECT name, spec FROM hosts ORDER BY name");
    std::vector<std::pair<std::string, nlohmann::json>> hosts;
    while (stmt.step())
        hosts.emplace_back(stmt.text(0), parse_spec(stmt.text(1), stmt.text(0), path()));
    stmt.reset();
    return hosts;
}

bool Registry::remove_host(const std::string& name) {
    db_.cached("DELETE FROM hosts WHERE name = ?1").bind(1, name).run();
    return db_.changes() > 0;
}

}  // namespace lathe::core::registry
