#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lathe::core::distributed {

// Where this process stands in a data-parallel job: what torchrun (or srun, or Lathe's own rank
// agent) tells it through the environment. world_size 1 is a plain single-process run.
struct WorldInfo {
    std::int64_t rank = 0;
    std::int64_t world_size = 1;
    std::int64_t local_rank = 0;
    std::int64_t local_world_size = 1;
    std::string master_addr = "127.0.0.1";
    int master_port = 29500;

    bool distributed() const { return world_size > 1; }
    bool is_main() const { return rank == 0; }
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT as torchrun
// sets them; under SLURM's srun (no RANK) SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID and
// SLURM_NTASKS_PER_NODE stand in for the first four. No WORLD_SIZE (or 1) is a single process and
// needs nothing else. A malformed or inconsistent value is an Error naming the variable and what
// it holds; a distributed world without MASTER_ADDR/MASTER_PORT is an Error naming them.
// `getenv` is injectable for tests.
WorldInfo world_from_environment(
    const std::function<std::optional<std::string>(const std::string&)>& getenv);
WorldInfo world_from_environment();

// The variables a launcher sets for `rank` of `world` (torchrun's names, plus
// TORCHELASTIC_RUN_ID-free GROUP_RANK for the node index), in a stable order.
std::vector<std::pair<std::string, std::string>> rank_environment(const WorldInfo& world,
                                                                  std::int64_t node_rank = 0);

}  // namespace lathe::core::distributed
