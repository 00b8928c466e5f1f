// What a multi-node run's nodes get from the launching machine's environment.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "remote/runs/ssh_launcher.h"

namespace lathe::remote::runs {
namespace {

TEST(ForwardedEnvironment, PrefixPatternsAndExactNamesMatchSorted) {
    ::setenv("LATHE_TEST_FWD_B", "2", 1);
    ::setenv("LATHE_TEST_FWD_A", "1", 1);
    ::setenv("LATHE_TEST_FWDX", "x", 1);
    ::setenv("LATHE_TEST_OTHER", "no", 1);
    const auto env = forwarded_environment({"LATHE_TEST_FWD_*", "LATHE_TEST_FWDX"});
    ASSERT_EQ(env.size(), 3u);
    EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"LATHE_TEST_FWDX", "x"}));
    EXPECT_EQ(env[1], (std::pair<std::string, std::string>{"LATHE_TEST_FWD_A", "1"}));
    EXPECT_EQ(env[2], (std::pair<std::string, std::string>{"LATHE_TEST_FWD_B", "2"}));
    EXPECT_TRUE(forwarded_environment({"LATHE_TEST_FW"}).empty());  // exact, not a prefix
}

TEST(ForwardedEnvironment, PatternsComeFromLatheForwardEnvOrTorchrunxDefaults) {
    ::unsetenv("LATHE_FORWARD_ENV");
    const auto defaults = forwarded_env_patterns();
    for (const char* p : {"CUDA*", "NCCL*", "TORCH*", "GLOO*", "LD_LIBRARY_PATH", "PATH"})
        EXPECT_NE(std::find(defaults.begin(), defaults.end(), p), defaults.end()) << p;
    ::setenv("LATHE_FORWARD_ENV", " HF_*, WANDB_API_KEY ,,", 1);
    EXPECT_EQ(forwarded_env_patterns(), (std::vector<std::string>{"HF_*", "WANDB_API_KEY"}));
    ::setenv("LATHE_FORWARD_ENV", "", 1);
    EXPECT_TRUE(forwarded_env_patterns().empty());
    ::unsetenv("LATHE_FORWARD_ENV");
}

}  // namespace
}  // namespace lathe::remote::runs
