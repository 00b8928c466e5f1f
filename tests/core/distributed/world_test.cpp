#include <gtest/gtest.h>

#include <map>

#include "core/distributed/world.h"
#include "core/util/error.h"

namespace lathe::core::distributed {
namespace {

WorldInfo from(const std::map<std::string, std::string>& env) {
    return world_from_environment([&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end())
            return std::nullopt;
        return it->second;
    });
}

std::string error_of(const std::map<std::string, std::string>& env) {
    try {
        from(env);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(DistributedWorld, NothingSetIsOneProcess) {
    auto w = from({});
    EXPECT_EQ(w.world_size, 1);
    EXPECT_EQ(w.rank, 0);
    EXPECT_FALSE(w.distributed());
    EXPECT_FALSE(from({{"WORLD_SIZE", "1"}}).distributed());
}

TEST(DistributedWorld, ReadsTorchrunVariables) {
    auto w = from({{"RANK", "3"},
                   {"WORLD_SIZE", "4"},
                   {"LOCAL_RANK", "1"},
                   {"LOCAL_WORLD_SIZE", "2"},
                   {"MASTER_ADDR", "node0"},
                   {"MASTER_PORT", "29400"}});
    EXPECT_TRUE(w.distributed());
    EXPECT_EQ(w.rank, 3);
    EXPECT_EQ(w.world_size, 4);
    EXPECT_EQ(w.local_rank, 1);
    EXPECT_EQ(w.local_world_size, 2);
    EXPECT_EQ(w.master_addr, "node0");
    EXPECT_EQ(w.master_port, 29400);
    EXPECT_FALSE(w.is_main());
}

TEST(DistributedWorld, ReadsSrunVariablesWhenTorchrunsAreAbsent) {
    auto w = from({{"SLURM_NTASKS", "8"},
                   {"SLURM_PROCID", "5"},
                   {"SLURM_LOCALID", "1"},
                   {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                   {"MASTER_ADDR", "gpu01"},
                   {"MASTER_PORT", "12345"}});
    EXPECT_EQ(w.rank, 5);
    EXPECT_EQ(w.world_size, 8);
    EXPECT_EQ(w.local_rank, 1);
    EXPECT_EQ(w.local_world_size, 4);
    auto step = from({{"SLURM_NTASKS", "5"},
                      {"SLURM_PROCID", "4"},
                      {"SLURM_LOCALID", "0"},
                      {"SLURM_TASKS_PER_NODE", "2(x2),1"},
                      {"MASTER_ADDR", "gpu01"},
                      {"MASTER_PORT", "12345"}});
    EXPECT_EQ(step.local_world_size, 2);
}

TEST(DistributedWorld, ErrorsNameTheVariable) {
    EXPECT_NE(error_of({{"WORLD_SIZE", "two"}}).find("WORLD_SIZE = \"two\""), std::string::npos);
    EXPECT_NE(error_of({{"WORLD_SIZE", "2"}}).find("RANK is not set"), std::string::npos);
    EXPECT_NE(error_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}}).find("RANK = 2 is outside 0..1"),
              std::string::npos);
    EXPECT_NE(error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}}).find("MASTER_ADDR and MASTER_PORT"),
              std::string::npos);
    EXPECT_NE(
        error_of(
            {{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}})
            .find("MASTER_PORT = 70000"),
        std::string::npos);
    EXPECT_NE(error_of({{"WORLD_SIZE", "0"}}).find("WORLD_SIZE = 0 must be at least 1"),
              std::string::npos);
}

TEST(DistributedWorld, RankEnvironmentRoundTrips) {
    WorldInfo w;
    w.rank = 2;
    w.world_size = 4;
    w.local_rank = 0;
    w.local_world_size = 2;
    w.master_addr = "10.0.0.1";
    w.master_port = 1234;
    std::map<std::string, std::string> env;
    for (const auto& [k, v] : rank_environment(w, 1))
        env[k] = v;
    EXPECT_EQ(env["GROUP_RANK"], "1");
    auto back = from(env);
    EXPECT_EQ(back.rank, 2);
    EXPECT_EQ(back.world_size, 4);
    EXPECT_EQ(back.local_world_size, 2);
    EXPECT_EQ(back.master_addr, "10.0.0.1");
    EXPECT_EQ(back.master_port, 1234);
}

}  // namespace
}  // namespace lathe::core::distributed
