#include "core/run_manager/gpu_lists.h"

#include <gtest/gtest.h>

#include "core/util/error.h"

namespace lathe::core::run_manager {
namespace {

using Lists = std::vector<std::string>;

std::string refusal(const std::string& spec, const Lists& hosts) {
    try {
        gpu_lists_per_host(spec, hosts);
    } catch (const Error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(GpuLists, OneListForEveryHostOrOnePerHost) {
    EXPECT_EQ(gpu_lists_per_host("", {""}), Lists{""});
    EXPECT_EQ(gpu_lists_per_host("0,2,3", {""}), Lists{"0,2,3"});
    EXPECT_EQ(gpu_lists_per_host("0,1", {"a", "b"}), (Lists{"0,1", "0,1"}));
    EXPECT_EQ(gpu_lists_per_host("b=2,3; a=0,1", {"a", "b"}), (Lists{"0,1", "2,3"}));
    EXPECT_EQ(gpu_lists_per_host("a=7;", {"a"}), Lists{"7"});
    EXPECT_EQ(run_hosts("ssh:a", {"b", "c"}), (Lists{"a", "b", "c"}));
    EXPECT_EQ(run_hosts("local", {}), Lists{""});
}

TEST(GpuLists, RefusalsNameTheFieldAndTheHost) {
    EXPECT_NE(refusal("0:1", {""}).find("gpus = \"0:1\" must list GPU indices"), std::string::npos);
    EXPECT_NE(refusal("a=0", {""}).find("is for runs on SSH hosts"), std::string::npos);
    EXPECT_NE(refusal("a=0,1", {"a", "b"}).find("no GPUs listed for host \"b\""),
              std::string::npos);
    EXPECT_NE(refusal("a=0;c=1", {"a", "b"}).find("host \"c\" is not one of the run's hosts"),
              std::string::npos);
    EXPECT_NE(refusal("a=0;a=1", {"a"}).find("listed twice"), std::string::npos);
    EXPECT_NE(refusal("a=0,1;b=2", {"a", "b"}).find("a lists 2 GPUs and b 1"), std::string::npos);
    EXPECT_NE(refusal("a=x;b=1", {"a", "b"}).find("a's GPUs \"x\""), std::string::npos);
    EXPECT_NE(refusal("0,1;b=2", {"a", "b"}).find("\"0,1\" names no host"), std::string::npos);
}

}  // namespace
}  // namespace lathe::core::run_manager
