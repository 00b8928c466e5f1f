#include "core/launch/signals.h"

#include <gtest/gtest.h>

#include <csignal>

namespace lathe::core::launch {
namespace {

TEST(Signals, NamesKnownSignals) {
    EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(signal_name(SIGRTMIN + 2), "SIGRTMIN+2");
    EXPECT_EQ(signal_name(0), "");
}

TEST(Signals, DescribesSignalsWithNotes) {
    EXPECT_EQ(describe_signal(SIGKILL), "signal 9 (SIGKILL; the out-of-memory killer does this)");
    EXPECT_EQ(describe_signal(SIGTERM), "signal 15 (SIGTERM)");
    EXPECT_EQ(describe_signal(SIGSEGV, true), "signal 11 (SIGSEGV, core dumped)");
    EXPECT_EQ(describe_signal(200), "signal 200");
}

TEST(Signals, DescribesWaitStatuses) {
    // Wait statuses as Linux encodes them: exit code in bits 8-15, signal in bits 0-6, 0x80 core.
    EXPECT_EQ(describe_wait_status(0), "exited with code 0");
    EXPECT_EQ(describe_wait_status(3 << 8), "exited with code 3");
    EXPECT_EQ(describe_wait_status(SIGKILL),
              "killed by signal 9 (SIGKILL; the out-of-memory killer does this)");
    EXPECT_EQ(describe_wait_status(SIGTERM), "killed by signal 15 (SIGTERM)");
    EXPECT_EQ(describe_wait_status(SIGSEGV | 0x80), "killed by signal 11 (SIGSEGV, core dumped)");
}

}  // namespace
}  // namespace lathe::core::launch
