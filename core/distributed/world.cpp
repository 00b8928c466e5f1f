#include "core/distributed/world.h"

#include <cerrno>
#include <cstdlib>

#include "core/util/error.h"

namespace lathe::core::distributed {

namespace {

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

std::int64_t parse_int(const std::string& name, const std::string& text) {
    if (text.empty()) {
        throw Error("environment variable " + name + " is empty; expected an integer");
    }
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || end == nullptr || *end != '\0') {
        throw Error("environment variable " + name + " = \"" + text + "\" is not an integer");
    }
    return value;
}

// The first of `names` that is set, as (name, value).
std::optional<std::pair<std::string, std::int64_t>> first_int(
    const Getenv& getenv, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (auto value = getenv(name)) {
            return std::make_pair(std::string(name), parse_int(name, *value));
        }
    }
    return std::nullopt;
}

// SLURM_NTASKS_PER_NODE (set with --ntasks-per-node) or SLURM_TASKS_PER_NODE (always set for a
// step: "4", "4(x2)" or "2(x3),1"): the first node's count, which is this node's on the usual
// even layouts.
std::optional<std::string> slurm_tasks_per_node(const Getenv& getenv) {
    auto value = getenv("SLURM_NTASKS_PER_NODE");
    if (!value || value->empty())
        value = getenv("SLURM_TASKS_PER_NODE");
    if (!value)
        return std::nullopt;
    const auto end = value->find_first_of("(,");
    return end == std::string::npos ? *value : value->substr(0, end);
}

}  // namespace

WorldInfo world_from_environment(const Getenv& getenv) {
    WorldInfo world;
    auto world_size = first_int(getenv, {"WORLD_SIZE", "SLURM_NTASKS"});
    if (!world_size || world_size->second == 1)
        return world;
    if (world_size->second < 1) {
        throw Error("environment variable " + world_size->first + " = " +
                    std::to_string(world_size->second) + " must be at least 1");
    }
    world.world_size = world_size->second;
    const bool slurm = world_size->first == "SLURM_NTASKS";

    auto rank = first_int(getenv, slurm ? std::initializer_list<const char*>{"SLURM_PROCID"}
                                        : std::initializer_list<const char*>{"RANK"});
    if (!rank) {
        throw Error(std::string("environment variable ") + (slurm ? "SLURM_PROCID" : "RANK") +
                    " is not set but " + world_size->first + " = " +
                    std::to_string(world.world_size) + " asks for a distributed run");
    }
    if (rank->second < 0 || rank->second >= world.world_size) {
        throw Error("environment variable " + rank->first + " = " + std::to_string(rank->second) +
                    " is outside 0.." + std::to_string(world.world_size - 1) + " (" +
                    world_size->first + " = " + std::to_string(world.world_size) + ")");
    }
    world.rank = rank->second;

    auto local_rank = first_int(getenv, slurm ? std::initializer_list<const char*>{"SLURM_LOCALID"}
                                              : std::initializer_list<const char*>{"LOCAL_RANK"});
    world.local_rank = local_rank ? local_rank->second : world.rank;
    if (slurm) {
        if (auto per_node = slurm_tasks_per_node(getenv)) {
            world.local_world_size = parse_int("SLURM_NTASKS_PER_NODE", *per_node);
        } else {
            world.local_world_size = world.world_size;
        }
    } else if (auto local_world = first_int(getenv, {"LOCAL_WORLD_SIZE"})) {
        world.local_world_size = local_world->second;
    } else {
        world.local_world_size = world.world_size;
    }
    if (world.local_rank < 0 || world.local_rank >= world.local_world_size) {
        throw Error("environment: local rank " + std::to_string(world.local_rank) +
                    " is outside 0.." + std::to_string(world.local_world_size - 1) +
                    " (LOCAL_RANK / LOCAL_WORLD_SIZE)");
    }

    auto addr = getenv("MASTER_ADDR");
    auto port = getenv("MASTER_PORT");
    if (!addr || addr->empty() || !port) {
        throw Error(
            "environment variables MASTER_ADDR and MASTER_PORT must name the rank-0 host "
            "and a free port for a distributed run (WORLD_SIZE = " +
            std::to_string(world.world_size) + ")");
    }
    world.master_addr = *addr;
    const auto port_value = parse_int("MASTER_PORT", *port);
    if (port_value < 1 || port_value > 65535) {
        throw Error("environment variable MASTER_PORT = " + *port +
                    " is not a TCP port (1..65535)");
    }
    world.master_port = static_cast<int>(port_value);
    return world;
}

WorldInfo world_from_environment() {
    return world_from_environment([](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr)
            return std::nullopt;
        return std::string(value);
    });
}

std::vector<std::pair<std::string, std::string>> rank_environment(const WorldInfo& world,
                                                                  std::int64_t node_rank) {
    return {{"RANK", std::to_string(world.rank)},
            {"WORLD_SIZE", std::to_string(world.world_size)},
            {"LOCAL_RANK", std::to_string(world.local_rank)},
            {"LOCAL_WORLD_SIZE", std::to_string(world.local_world_size)},
            {"GROUP_RANK", std::to_string(node_rank)},
            {"MASTER_ADDR", world.master_addr},
            {"MASTER_PORT", std::to_string(world.master_port)}};
}

}  // namespace lathe::core::distributed
