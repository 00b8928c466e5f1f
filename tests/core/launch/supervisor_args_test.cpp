#include "core/launch/supervisor_args.h"

#include <gtest/gtest.h>

#include "core/util/error.h"

namespace lathe::core::launch {
namespace {

SupervisorArgs parse(std::vector<std::string> args) {
    args.insert(args.begin(), "lathe-supervisor");
    std::vector<const char*> argv;
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    return parse_supervisor_args(static_cast<int>(argv.size()), argv.data());
}

TEST(SupervisorArgs, RoundTripsAwkwardValues) {
    SupervisorArgs in;
    in.run_dir = "/runs/--then";
    in.command = {"/bin/train", "--", "", "--run-dir", "a b"};
    in.then_command = {"/bin/next", "--", "--env", ""};
    in.extra_env = {{"A", "x=y"}, {"EMPTY", ""}};
    const auto encoded = encode_supervisor_args(in);
    EXPECT_EQ(encoded[0], "--run-dir");
    const SupervisorArgs out = parse(encoded);
    EXPECT_EQ(out.run_dir, in.run_dir);
    EXPECT_EQ(out.command, in.command);
    EXPECT_EQ(out.then_command, in.then_command);
    EXPECT_EQ(out.extra_env, in.extra_env);
}

TEST(SupervisorArgs, RejectsMalformedCommandLines) {
    EXPECT_THROW(parse({"--", "/bin/true"}), Error);               // no --run-dir
    EXPECT_THROW(parse({"--run-dir", "/r", "/bin/true"}), Error);  // no --
    EXPECT_THROW(parse({"--run-dir", "/r", "--"}), Error);         // empty command
    EXPECT_THROW(parse({"--run-dir"}), Error);                     // missing value
    EXPECT_THROW(parse({"--run-dir", "/r", "--bogus", "x", "--", "/bin/true"}), Error);
    EXPECT_THROW(parse({"--run-dir", "/r", "--env", "NOVALUE", "--", "/bin/true"}), Error);
    SupervisorArgs bad;
    bad.run_dir = "/r";
    bad.command = {"/bin/true"};
    bad.extra_env = {{"A=B", "c"}};
    EXPECT_THROW(encode_supervisor_args(bad), Error);
}

}  // namespace
}  // namespace lathe::core::launch
