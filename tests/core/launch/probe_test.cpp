#include "core/launch/probe.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core/launch/proc_info.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace lathe::core::launch {
namespace {

SupervisorRecord record_for(pid_t pid, std::uint64_t ticks) {
    SupervisorRecord r;
    r.supervisor_pid = pid;
    r.supervisor_start_ticks = ticks;
    r.trainer_pid = pid;
    r.trainer_start_ticks = ticks;
    r.boot_id = current_boot_id();
    r.command = {"/bin/true"};
    return r;
}

TEST(Probe, NoRecordsMeansNothingAlive) {
    const auto dir = tests::temp_dir("launch-probe-empty").string();
    const ProcessState s = probe(dir);
    EXPECT_FALSE(s.supervisor);
    EXPECT_FALSE(s.supervisor_alive);
    EXPECT_FALSE(s.trainer_alive);
    EXPECT_FALSE(s.exit);
}

TEST(Probe, MatchingStartTicksAreAliveAndAReusedPidIsNot) {
    const auto dir = tests::temp_dir("launch-probe-reuse").string();
    const auto self = read_proc_stat(::getpid());
    ASSERT_TRUE(self);

    write_supervisor_record(dir, record_for(::getpid(), self->start_ticks));
    EXPECT_TRUE(probe(dir).trainer_alive);
    EXPECT_TRUE(probe(dir).supervisor_alive);

    // Same pid, other start ticks: the recorded process ended and the pid went to this one.
    write_supervisor_record(dir, record_for(::getpid(), self->start_ticks + 1));
    const ProcessState s = probe(dir);
    EXPECT_FALSE(s.trainer_alive);
    EXPECT_FALSE(s.supervisor_alive);
    try {
        send_to_trainer(dir, SIGUSR1);  // must not reach this test process
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "run " + dir + ": the trainer process is not running");
    }
}

TEST(Probe, AnotherBootIsNotAlive) {
    const auto dir = tests::temp_dir("launch-probe-boot").string();
    auto r = record_for(::getpid(), read_proc_stat(::getpid())->start_ticks);
    r.boot_id = "00000000-0000-0000-0000-000000000000";
    write_supervisor_record(dir, r);
    EXPECT_FALSE(probe(dir).trainer_alive);
}

TEST(Probe, ZombieIsNotAlive) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(0);
    }
    // Not reaped: kill(pid, 0) still succeeds on a zombie.
    siginfo_t info{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
    const auto stat = read_proc_stat(child);
    ASSERT_TRUE(stat);
    EXPECT_EQ(stat->state, 'Z');
    EXPECT_EQ(::kill(child, 0), 0);
    EXPECT_FALSE(is_same_process_alive(child, stat->start_ticks, current_boot_id()));
    ::waitpid(child, nullptr, 0);
}

TEST(Probe, ReadsProcStatOfThisProcess) {
    const auto self = read_proc_stat(::getpid());
    ASSERT_TRUE(self);
    EXPECT_EQ(self->state, 'R');
    EXPECT_EQ(self->parent_pid, ::getppid());
    EXPECT_GT(self->start_ticks, 0u);
    EXPECT_FALSE(current_boot_id().empty());
}

}  // namespace
}  // namespace lathe::core::launch
