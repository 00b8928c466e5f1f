#include "core/data/sampler.h"

#include <numeric>
#include <string>

#include "core/data/permutation.h"
#include "core/util/error.h"

namespace lathe::core::data {

EpochSampler::EpochSampler(std::int64_t n, std::uint64_t seed, bool shuffle, std::int64_t rank,
                           std::int64_t world_size, bool drop_last)
    : n_(n),
      seed_(seed),
      shuffle_(shuffle),
      rank_(rank),
      world_size_(world_size),
      drop_last_(drop_last) {
    if (n < 0)
        throw Error("sampler: size " + std::to_string(n) + " is negative");
    if (world_size < 1) {
        throw Error("sampler: world_size " + std::to_string(world_size) + " must be at least 1");
    }
    if (rank < 0 || rank >= world_size) {
        throw Error("sampler: rank " + std::to_string(rank) + " is out of range for world_size " +
                    std::to_string(world_size));
    }
    // As DistributedSampler: drop_last trims to a multiple of world_size, otherwise pad up.
    per_rank_ = drop_last ? n / world_size : (n + world_size - 1) / world_size;
    order_ = epoch_order(0);
}

std::vector<std::int64_t> EpochSampler::epoch_order(std::uint64_t epoch) const {
    std::vector<std::int64_t> all;
    if (shuffle_) {
        all = seeded_permutation(n_, seed_ + epoch);
    } else {
        all.resize(static_cast<std::size_t>(n_));
        std::iota(all.begin(), all.end(), std::int64_t{0});
    }
    const auto total = static_cast<std::size_t>(per_rank_ * world_size_);
    if (all.size() > total) {
        all.resize(total);
    }
    for (std::size_t i = 0; all.size() < total; ++i) {
        all.push_back(all[i]);  // wraps around as often as needed when n < world_size
    }
    std::vector<std::int64_t> mine;
    mine.reserve(static_cast<std::size_t>(per_rank_));
    for (std::size_t i = static_cast<std::size_t>(rank_); i < total;
         i += static_cast<std::size_t>(world_size_)) {
        mine.push_back(all[i]);
    }
    return mine;
}

std::optional<std::int64_t> EpochSampler::next() {
    if (index_ >= per_rank_)
        return std::nullopt;
    return order_[static_cast<std::size_t>(index_++)];
}

void EpochSampler::set_state(const SamplerState& state) {
    if (state.index < 0 || state.index > per_rank_) {
        throw Error("sampler state: index " + std::to_string(state.index) +
                    " is outside the epoch (0.." + std::to_string(per_rank_) + ")");
    }
    if (state.epoch != epoch_)
        start_epoch(state.epoch);
    index_ = state.index;
}

void EpochSampler::start_epoch(std::uint64_t epoch) {
    epoch_ = epoch;
    index_ = 0;
    order_ = epoch_order(epoch);
}

nlohmann::json to_json(const SamplerState& state) {
    return {{"epoch", state.epoch}, {"index", state.index}};
}

SamplerState sampler_state_from_json(const nlohmann::json& json) {
    if (!json.is_object()) {
        throw Error(std::string("sampler state: expected an object, got ") + json.type_name());
    }
    SamplerState state;
    for (const char* field : {"epoch", "index"}) {
        auto it = json.find(field);
        if (it == json.end()) {
            throw Error(std::string("sampler state: field \"") + field + "\" is missing");
        }
        if (!it->is_number_integer() ||
            (!it->is_number_unsigned() && it->get<std::int64_t>() < 0)) {
            throw Error(std::string("sampler state: field \"") + field + "\" is " +
                        it->type_name() + " " + it->dump() + ", expected an integer >= 0");
        }
    }
    state.epoch = json.at("epoch").get<std::uint64_t>();
    state.index = json.at("index").get<std::int64_t>();
    return state;
}

}  // namespace lathe::core::data
