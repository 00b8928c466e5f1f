#include <gtest/gtest.h>

#include "core/util/version.h"

namespace lathe::core::util {
namespace {

TEST(Version, MatchesTheCMakeProjectVersion) {
    EXPECT_STREQ(kLatheVersion, LATHE_PROJECT_VERSION);
}

}  // namespace
}  // namespace lathe::core::util
