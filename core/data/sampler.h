#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::data {

struct SamplerState {
    std::uint64_t epoch = 0;
    std::int64_t index = 0;  // next position in this epoch's order (of this rank's shard)
};

// Yields the indices 0..n-1 once per epoch, reshuffled every epoch, as torch's DistributedSampler
// does: the permutation is seeded by seed + epoch (seeded_permutation, the same on every
// platform), padded to a multiple of world_size by repeating from the start (or cut down to one
// with drop_last), and rank r takes positions r, r + world_size, ... The whole position is the
// (epoch, index) state, so restoring it mid-epoch continues exactly as an uninterrupted run.
class EpochSampler {
  public:
    EpochSampler(std::int64_t n, std::uint64_t seed, bool shuffle = true, std::int64_t rank = 0,
                 std::int64_t world_size = 1, bool drop_last = false);

    // This rank's indices for `epoch`, in order.
    std::vector<std::int64_t> epoch_order(std::uint64_t epoch) const;
    std::int64_t per_rank_size() const { return per_rank_; }
    std::int64_t size() const { return n_; }

    // The next index, or nullopt at the end of the epoch (the caller then calls start_epoch).
    std::optional<std::int64_t> next();

    SamplerState state() const { return {epoch_, index_}; }
    // Errors when index is past the end of the epoch.
    void set_state(const SamplerState& state);
    void start_epoch(std::uint64_t epoch);

  private:
    std::int64_t n_;
    std::uint64_t seed_;
    bool shuffle_;
    std::int64_t rank_;
    std::int64_t world_size_;
    bool drop_last_;
    std::int64_t per_rank_ = 0;
    std::uint64_t epoch_ = 0;
    std::int64_t index_ = 0;
    std::vector<std::int64_t> order_;  // epoch_order(epoch_)
};

nlohmann::json to_json(const SamplerState& state);
// Errors name the missing or mistyped field.
SamplerState sampler_state_from_json(const nlohmann::json& json);

}  // namespace lathe::core::data
