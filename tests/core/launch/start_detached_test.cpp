// Real processes: lathe-supervisor with /bin/sh scripts as the trainer.
#include "core/launch/start_detached.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "core/launch/probe.h"
#include "core/launch/proc_info.h"
#include "core/util/error.h"
#include "tests/core/launch/launch_test_support.h"

namespace lathe::core::launch {
namespace {

namespace fs = std::filesystem;
using tests::launch::file_exists;
using tests::launch::sh_spec;
using tests::launch::slurp;
using tests::launch::wait_for_exit_record;
using tests::launch::wait_for_supervisor_record;
using tests::launch::wait_until;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(StartDetached, RecordsExitCodesZeroAndThree) {
    const auto ok = tests::temp_dir("launch-exit0");
    const auto bad = tests::temp_dir("launch-exit3");
    const LaunchResult ok_run = start_detached(sh_spec(ok, "exit 0"));
    start_detached(sh_spec(bad, "exit 3"));
    EXPECT_GT(ok_run.supervisor_pid, 0);

    const auto e0 = wait_for_exit_record(ok);
    ASSERT_TRUE(e0);
    EXPECT_EQ(e0->exit_code, 0);
    EXPECT_FALSE(e0->signal);
    EXPECT_FALSE(e0->signal_name);
    EXPECT_FALSE(e0->core_dumped);
    EXPECT_EQ(e0->description, "exited with code 0");
    EXPECT_GT(e0->ended_at_unix_s, 0);

    const auto s0 = read_supervisor_record(ok.string());
    ASSERT_TRUE(s0);
    EXPECT_EQ(s0->supervisor_pid, ok_run.supervisor_pid);
    EXPECT_EQ(s0->trainer_pid, e0->trainer_pid);
    EXPECT_NE(s0->trainer_pid, s0->supervisor_pid);
    EXPECT_GT(s0->trainer_start_ticks, 0u);
    EXPECT_EQ(s0->boot_id, current_boot_id());
    EXPECT_LE(s0->started_at_unix_s, e0->ended_at_unix_s);
    EXPECT_EQ(s0->command, (std::vector<std::string>{"/bin/sh", "-c", "exit 0"}));

    const auto e3 = wait_for_exit_record(bad);
    ASSERT_TRUE(e3);
    EXPECT_EQ(e3->exit_code, 3);
    EXPECT_EQ(e3->description, "exited with code 3");
}

TEST(StartDetached, TrainerKilledBySigkillIsRecorded) {
    const auto dir = tests::temp_dir("launch-selfkill");
    start_detached(sh_spec(dir, "kill -9 $$"));
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_FALSE(e->exit_code);
    EXPECT_EQ(e->signal, SIGKILL);
    EXPECT_EQ(e->signal_name, "SIGKILL");
    EXPECT_EQ(e->description, "killed by signal 9 (SIGKILL; the out-of-memory killer does this)");
    const auto j = nlohmann::json::parse(slurp(dir / kExitRecordFile));
    EXPECT_TRUE(j.at("exit_code").is_null());
    EXPECT_EQ(j.at("signal_name"), "SIGKILL");
}

TEST(StartDetached, SendToTrainerSigkillThenNotRunning) {
    const auto dir = tests::temp_dir("launch-sendkill");
    start_detached(sh_spec(dir, "exec sleep 30"));
    ASSERT_TRUE(wait_for_supervisor_record(dir));
    ASSERT_TRUE(probe(dir.string()).trainer_alive);
    send_to_trainer(dir.string(), SIGKILL);
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->signal, SIGKILL);
    EXPECT_EQ(e->description, "killed by signal 9 (SIGKILL; the out-of-memory killer does this)");

    EXPECT_EQ(error_of([&] { send_to_trainer(dir.string(), SIGTERM); }),
              "run " + dir.string() + ": the trainer process is not running");
    // The supervisor exits right after the record; an unreaped zombie also counts as gone.
    EXPECT_TRUE(wait_until([&] { return !probe(dir.string()).supervisor_alive; }));
    const ProcessState s = probe(dir.string());
    EXPECT_FALSE(s.trainer_alive);
    ASSERT_TRUE(s.exit);
    EXPECT_EQ(s.exit->trainer_pid, s.supervisor->trainer_pid);
}

TEST(StartDetached, SigtermToSupervisorIsForwarded) {
    const auto dir = tests::temp_dir("launch-forward");
    const std::string script = "trap 'exit 4' TERM; touch '" + (dir / "ready").string() +
                               "'; while :; do sleep 0.02; done";
    const LaunchResult run = start_detached(sh_spec(dir, script));
    ASSERT_TRUE(wait_until([&] { return file_exists(dir / "ready"); }));
    ASSERT_EQ(::kill(run.supervisor_pid, SIGTERM), 0);
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 4);
    EXPECT_TRUE(contains(slurp(dir / kSupervisorLogFile), "forwarded SIGTERM to the trainer"));
}

TEST(StartDetached, OutputGoesToLogFilesStdinIsDevNullEnvIsPassed) {
    const auto dir = tests::temp_dir("launch-logs");
    std::ofstream(dir / kStdoutLogFile) << "earlier attempt\n";
    auto spec = sh_spec(dir, "echo out; echo err >&2; readlink /proc/$$/fd/0 > '" +
                                 (dir / "stdin.txt").string() + "'; printf %s \"$LATHE_T\" > '" +
                                 (dir / "env.txt").string() + "'; cat");
    spec.extra_env = {{"LATHE_T", "a b=c"}};
    start_detached(spec);
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 0);  // `cat` got EOF at once from /dev/null
    EXPECT_EQ(slurp(dir / kStdoutLogFile), "earlier attempt\nout\n");
    EXPECT_EQ(slurp(dir / kStderrLogFile), "err\n");
    EXPECT_EQ(slurp(dir / "stdin.txt"), "/dev/null\n");
    EXPECT_EQ(slurp(dir / "env.txt"), "a b=c");
    EXPECT_TRUE(contains(slurp(dir / kSupervisorLogFile), "started trainer pid"));
}

TEST(StartDetached, RunsInItsOwnSessionReparentedAwayFromTheCaller) {
    const auto dir = tests::temp_dir("launch-session");
    const auto go = dir / "go";
    start_detached(sh_spec(dir, "while [ ! -e '" + go.string() + "' ]; do sleep 0.01; done"));
    const auto s = wait_for_supervisor_record(dir);
    ASSERT_TRUE(s);
    ASSERT_TRUE(wait_until([&] { return probe(dir.string()).trainer_alive; }));
    EXPECT_NE(::getsid(s->trainer_pid), ::getsid(0));
    EXPECT_EQ(::getsid(s->trainer_pid), ::getsid(s->supervisor_pid));
    EXPECT_NE(::getpgid(s->trainer_pid), ::getpgid(0));
    EXPECT_EQ(read_proc_stat(s->trainer_pid)->parent_pid, s->supervisor_pid);
    EXPECT_NE(read_proc_stat(s->supervisor_pid)->parent_pid, ::getpid());
    std::ofstream(go) << "";
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 0);
}

TEST(StartDetached, SurvivesTheDeathOfTheLauncher) {
    const auto dir = tests::temp_dir("launch-orphan");
    const auto go = dir / "go";
    const auto spec = sh_spec(dir, "while [ ! -e '" + go.string() + "' ]; do sleep 0.01; done; " +
                                       "echo finished > '" + (dir / "marker").string() + "'");
    const pid_t launcher = ::fork();
    ASSERT_GE(launcher, 0);
    if (launcher == 0) {
        try {
            start_detached(spec);
        } catch (...) {
            ::_exit(1);
        }
        ::raise(SIGKILL);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(launcher, &status, 0), launcher);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    // The trainer only finishes after its launcher is dead.
    const auto s = wait_for_supervisor_record(dir);
    ASSERT_TRUE(s);
    EXPECT_TRUE(probe(dir.string()).supervisor_alive);
    std::ofstream(go) << "";
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 0);
    EXPECT_EQ(slurp(dir / "marker"), "finished\n");
}

TEST(StartDetached, MissingProgramsAreErrorsNamingThem) {
    const auto dir = tests::temp_dir("launch-missing");
    auto spec = sh_spec(dir, "exit 0");
    spec.supervisor_program = (dir / "no-supervisor").string();
    EXPECT_TRUE(contains(error_of([&] { start_detached(spec); }),
                         "supervisor program " + spec.supervisor_program))
        << error_of([&] { start_detached(spec); });

    spec = sh_spec(dir, "exit 0");
    spec.command = {"/nonexistent/trainer"};
    EXPECT_TRUE(contains(error_of([&] { start_detached(spec); }),
                         "trainer program /nonexistent/trainer: No such file or directory"));

    spec = sh_spec(dir, "exit 0");
    spec.command = {"sh", "-c", "exit 0"};
    EXPECT_TRUE(contains(error_of([&] { start_detached(spec); }), "not an absolute path"));

    spec = sh_spec(dir / "no-such-dir", "exit 0");
    EXPECT_TRUE(contains(error_of([&] { start_detached(spec); }), "no-such-dir"));
    EXPECT_FALSE(file_exists(dir / kSupervisorRecordFile));
}

TEST(StartDetached, SupervisorExecFailureIsReportedSynchronously) {
    // Passes the checks (an executable file) but the kernel refuses it: only the CLOEXEC pipe
    // can tell the caller.
    const auto dir = tests::temp_dir("launch-badexec");
    const auto fake = dir / "fake-supervisor";
    std::ofstream(fake, std::ios::binary) << std::string("\x7f\x45\x4c\x46garbage", 11);
    fs::permissions(fake, fs::perms::owner_all);
    auto spec = sh_spec(dir, "exit 0");
    spec.supervisor_program = fake.string();
    const std::string error = error_of([&] { start_detached(spec); });
    EXPECT_TRUE(contains(
        error, "cannot execute supervisor program " + fake.string() + ": Exec format error"))
        << error;
}

TEST(Supervisor, TrainerThatCannotBeExecutedIsRecordedAs127) {
    // start_detached refuses a missing trainer, so the supervisor is run directly: the program
    // can still vanish between that check and the exec.
    const auto dir = tests::temp_dir("launch-127");
    const std::string run_dir = dir.string();
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::execl(tests::launch::kSupervisor, tests::launch::kSupervisor, "--run-dir",
                run_dir.c_str(), "--", "/nonexistent/trainer", "arg", static_cast<char*>(nullptr));
        ::_exit(99);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 127);
    const auto e = read_exit_record(run_dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 127);
    EXPECT_EQ(e->description,
              "could not execute /nonexistent/trainer: No such file or directory (exit code 127)");
    EXPECT_TRUE(read_supervisor_record(run_dir));
    EXPECT_TRUE(contains(slurp(dir / kSupervisorLogFile), "cannot execute /nonexistent/trainer"));
}

TEST(Supervisor, BadArgumentsExitTwo) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::execl(tests::launch::kSupervisor, tests::launch::kSupervisor, "--bogus",
                static_cast<char*>(nullptr));
        ::_exit(99);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST(StartDetached, ThenCommandRunsAfterTheRecordIsWritten) {
    const auto dir = tests::temp_dir("launch-then");
    auto spec = sh_spec(dir, "exit 5");
    spec.then_command = {"/bin/sh", "-c",
                         "cp '" + (dir / kExitRecordFile).string() + "' '" +
                             (dir / "then-saw.json").string() + "'; echo then-output"};
    start_detached(spec);
    ASSERT_TRUE(wait_until([&] { return file_exists(dir / "then-saw.json"); }));
    // cp writes the copy in place: wait for the supervisor (now the then-command) to finish.
    ASSERT_TRUE(wait_until([&] { return !probe(dir.string()).supervisor_alive; }));
    EXPECT_EQ(slurp(dir / "then-saw.json"), slurp(dir / kExitRecordFile));
    EXPECT_EQ(read_exit_record(dir.string())->exit_code, 5);
    const std::string log = slurp(dir / kSupervisorLogFile);
    EXPECT_TRUE(contains(log, "running then-command")) << log;
    EXPECT_TRUE(contains(log, "then-output")) << log;
}

TEST(StartDetached, RelaunchRemovesTheStaleExitRecord) {
    const auto dir = tests::temp_dir("launch-relaunch");
    start_detached(sh_spec(dir, "exit 3"));
    ASSERT_TRUE(wait_for_exit_record(dir));
    const auto first = read_supervisor_record(dir.string());

    const auto go = dir / "go";
    start_detached(sh_spec(dir, "while [ ! -e '" + go.string() + "' ]; do sleep 0.01; done"));
    ASSERT_TRUE(wait_until([&] {
        auto s = read_supervisor_record(dir.string());
        return s && s->trainer_pid != first->trainer_pid;
    }));
    const ProcessState running = probe(dir.string());
    EXPECT_TRUE(running.trainer_alive);
    EXPECT_FALSE(running.exit);
    EXPECT_FALSE(file_exists(dir / kExitRecordFile));
    std::ofstream(go) << "";
    const auto e = wait_for_exit_record(dir);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->exit_code, 0);
}

}  // namespace
}  // namespace lathe::core::launch
