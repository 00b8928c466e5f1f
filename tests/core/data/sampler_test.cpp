#include "core/data/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/data/permutation.h"
#include "tests/core/data/data_test_util.h"

namespace lathe::core::data {
namespace {

using lathe::tests::error_of;

std::vector<std::int64_t> drain(EpochSampler& sampler) {
    std::vector<std::int64_t> out;
    while (auto i = sampler.next())
        out.push_back(*i);
    return out;
}

bool is_permutation_of_n(std::vector<std::int64_t> v, std::int64_t n) {
    std::sort(v.begin(), v.end());
    for (std::int64_t i = 0; i < n; ++i) {
        if (v.size() != static_cast<std::size_t>(n) || v[static_cast<std::size_t>(i)] != i) {
            return false;
        }
    }
    return v.size() == static_cast<std::size_t>(n);
}

TEST(DataPermutation, IsPinnedAcrossStandardLibraries) {
    // mt19937_64's output is fixed by the standard and the shuffle is our own, so these values
    // must never change (they would break resuming runs made by another build).
    EXPECT_EQ(seeded_permutation(10, 42),
              (std::vector<std::int64_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
    EXPECT_TRUE(seeded_permutation(0, 1).empty());
    EXPECT_EQ(seeded_permutation(1, 1), (std::vector<std::int64_t>{0}));
}

TEST(Sampler, EpochsAreReshuffledAndStableAcrossInstances) {
    EpochSampler a(100, 42), b(100, 42), other_seed(100, 43);
    const auto e0 = a.epoch_order(0), e1 = a.epoch_order(1);
    EXPECT_TRUE(is_permutation_of_n(e0, 100));
    EXPECT_TRUE(is_permutation_of_n(e1, 100));
    EXPECT_NE(e0, e1);
    EXPECT_EQ(e0, b.epoch_order(0));
    EXPECT_EQ(e1, b.epoch_order(1));
    EXPECT_NE(e0, other_seed.epoch_order(0));
    EXPECT_EQ(e0, seeded_permutation(100, 42));  // seed + epoch, as DistributedSampler
    EXPECT_EQ(e1, seeded_permutation(100, 43));
}

TEST(Sampler, NextWalksTheEpochThenStops) {
    EpochSampler s(7, 3);
    EXPECT_EQ(s.per_rank_size(), 7);
    EXPECT_EQ(drain(s), s.epoch_order(0));
    EXPECT_EQ(s.next(), std::nullopt);
    EXPECT_EQ(s.state().index, 7);
    s.start_epoch(1);
    EXPECT_EQ(s.state().epoch, 1u);
    EXPECT_EQ(drain(s), s.epoch_order(1));
}

TEST(Sampler, WithoutShuffleIsInOrder) {
    EpochSampler s(5, 9, /*shuffle=*/false);
    EXPECT_EQ(s.epoch_order(3), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(Sampler, ResumeFromAnyStateReproducesTheTail) {
    const std::int64_t n = 23;
    EpochSampler reference(n, 5);
    std::vector<std::int64_t> full;  // three uninterrupted epochs
    for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
        reference.start_epoch(epoch);
        auto part = drain(reference);
        full.insert(full.end(), part.begin(), part.end());
    }
    for (std::size_t stop = 0; stop <= full.size(); ++stop) {
        EpochSampler first(n, 5);
        std::size_t taken = 0;
        while (taken < stop) {
            auto i = first.next();
            if (!i) {
                first.start_epoch(first.state().epoch + 1);
                continue;
            }
            ++taken;
        }
        // Through JSON, as a checkpoint would carry it.
        auto saved = sampler_state_from_json(nlohmann::json::parse(to_json(first.state()).dump()));
        EpochSampler resumed(n, 5);
        resumed.set_state(saved);
        std::vector<std::int64_t> tail;
        while (tail.size() + stop < full.size()) {
            auto i = resumed.next();
            if (!i) {
                resumed.start_epoch(resumed.state().epoch + 1);
                continue;
            }
            tail.push_back(*i);
        }
        ASSERT_EQ(tail,
                  std::vector<std::int64_t>(full.begin() + static_cast<long>(stop), full.end()))
            << "resumed after " << stop;
    }
}

TEST(Sampler, ShardsCoverEverythingWithEqualSizes) {
    for (std::int64_t n : {10, 12, 2, 1}) {
        for (std::int64_t world : {1, 3, 4}) {
            std::multiset<std::int64_t> seen;
            std::int64_t size = -1;
            for (std::int64_t rank = 0; rank < world; ++rank) {
                EpochSampler s(n, 11, true, rank, world);
                auto mine = drain(s);
                EXPECT_EQ(static_cast<std::int64_t>(mine.size()), s.per_rank_size());
                if (size >= 0) {
                    EXPECT_EQ(static_cast<std::int64_t>(mine.size()), size);
                }
                size = static_cast<std::int64_t>(mine.size());
                seen.insert(mine.begin(), mine.end());
            }
            EXPECT_EQ(size, (n + world - 1) / world) << n << " over " << world;
            for (std::int64_t i = 0; i < n; ++i)
                EXPECT_GE(seen.count(i), 1u) << i;
            EXPECT_EQ(static_cast<std::int64_t>(seen.size()), size * world);
        }
    }
}

TEST(Sampler, ShardsMatchDistributedSamplerLayout) {
    // 10 over 4 ranks: the permutation padded with its first two entries, rank r takes r::4.
    const auto order = seeded_permutation(10, 11 + 2);
    EpochSampler rank1(10, 11, true, 1, 4);
    EXPECT_EQ(rank1.epoch_order(2), (std::vector<std::int64_t>{order[1], order[5], order[9]}));
    EpochSampler rank3(10, 11, true, 3, 4);
    EXPECT_EQ(rank3.epoch_order(2), (std::vector<std::int64_t>{order[3], order[7], order[1]}));
}

TEST(Sampler, DropLastTrimsWithoutRepeats) {
    std::set<std::int64_t> seen;
    for (std::int64_t rank = 0; rank < 3; ++rank) {
        EpochSampler s(10, 1, true, rank, 3, /*drop_last=*/true);
        EXPECT_EQ(s.per_rank_size(), 3);
        for (auto i : drain(s))
            EXPECT_TRUE(seen.insert(i).second) << i;
    }
    EXPECT_EQ(seen.size(), 9u);
}

TEST(Sampler, ErrorsNameTheProblem) {
    EXPECT_CONTAINS(error_of([] { EpochSampler(10, 1, true, 2, 2); }),
                    "rank 2 is out of range for world_size 2");
    EXPECT_CONTAINS(error_of([] { EpochSampler(10, 1, true, 0, 0); }), "world_size 0");
    EpochSampler s(4, 1);
    EXPECT_CONTAINS(error_of([&] { s.set_state({0, 5}); }), "index 5");
    EXPECT_CONTAINS(error_of([] {
                        sampler_state_from_json({{"epoch", 1}});
                    }),
                    "field \"index\" is missing");
    EXPECT_CONTAINS(error_of([] {
                        sampler_state_from_json({{"epoch", "1"}, {"index", 0}});
                    }),
                    "field \"epoch\" is string");
    EXPECT_CONTAINS(error_of([] {
                        sampler_state_from_json({{"epoch", 1}, {"index", -2}});
                    }),
                    "field \"index\"");
    auto state = sampler_state_from_json(to_json({3, 2}));
    EXPECT_EQ(state.epoch, 3u);
    EXPECT_EQ(state.index, 2);
}

}  // namespace
}  // namespace lathe::core::data
