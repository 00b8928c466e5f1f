#include "remote/hosts/host_facts.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/util/error.h"

namespace lathe::remote::hosts {
namespace {

namespace fs = std::filesystem;

// The caller (remote/runs) quotes the runs folder with remote/ssh's shell_quote; this test links
// neither, so it quotes the same POSIX way itself.
std::string sq(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

struct ShellResult {
    std::string out;
    int exit_status = -1;
};

// popen runs its command with /bin/sh -c, as the probe runs on a node.
ShellResult run_sh(const std::string& command) {
    ShellResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        result.out.append(buffer, n);
    }
    int status = ::pclose(pipe);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// No CMake definition points here (tests/CMakeLists.txt is shared), so look where builds put it:
// $LATHE_TRAIN_BINARY, next to this test's own build, then the repository's default build.
std::string find_lathe_train() {
    if (const char* env = std::getenv("LATHE_TRAIN_BINARY")) {
        return env;
    }
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    for (fs::path dir = exe.parent_path(); !ec && dir.has_relative_path();
         dir = dir.parent_path()) {
        if (fs::is_regular_file(dir / "app" / "lathe-train")) {
            return (dir / "app" / "lathe-train").string();
        }
    }
    fs::path repo = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
    if (fs::is_regular_file(repo / "build" / "app" / "lathe-train")) {
        return (repo / "build" / "app" / "lathe-train").string();
    }
    return "";
}

bool has_nvidia_smi() {
    return run_sh("command -v nvidia-smi >/dev/null 2>&1").exit_status == 0;
}

class HostFactsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/lathe-host-facts-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // The probe runs from dir_, so that anything a broken quoting would create lands there.
    HostFacts probe(const std::string& runs_dir, const std::string& worker_command) {
        ShellResult r = run_sh("cd " + sq(dir_.string()) + " || exit 1\n" +
                               probe_script(sq(runs_dir), worker_command));
        EXPECT_EQ(r.exit_status, 0) << r.out;
        return parse_probe_output(r.out);
    }

    void expect_plausible(const HostFacts& facts) {
        EXPECT_FALSE(facts.os.empty());
        EXPECT_FALSE(facts.kernel.empty());
        EXPECT_GE(facts.cpu_count, 1);
        EXPECT_GT(facts.memory_total_bytes, 0);
        EXPECT_GT(facts.memory_available_bytes, 0);
        EXPECT_LE(facts.memory_available_bytes, facts.memory_total_bytes);
        EXPECT_GT(facts.disk_free_bytes, 0);
        if (!has_nvidia_smi()) {
            EXPECT_TRUE(facts.gpus.empty());
            EXPECT_EQ(facts.gpu_error, "nvidia-smi: not found");
        } else {
            EXPECT_TRUE(!facts.gpus.empty() || !facts.gpu_error.empty());
        }
    }

    fs::path dir_;
};

const char* const kTwoGpus =
    "Welcome to node7, a login banner from .bashrc\r\n"
    "@@lathe os\r\n"
    "NAME=\"Ubuntu\"\r\n"
    "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\r\n"
    "@@lathe kernel\r\n"
    "Linux 5.15.0-105-generic\r\n"
    "@@lathe cpus\r\n"
    "64\r\n"
    "@@lathe meminfo\r\n"
    "MemTotal:       1056507384 kB\r\n"
    "MemFree:         2000000 kB\r\n"
    "MemAvailable:   1000000000 kB\r\n"
    "@@lathe disk\r\n"
    "Filesystem     1024-blocks      Used Available Capacity Mounted on\r\n"
    "/dev/nvme0n1p2  1921724676 921724676 1000000000      48% /\r\n"
    "@@lathe gpus\r\n"
    "0, NVIDIA A100-SXM4-80GB, 1234, 81920, 35, 41\r\n"
    "1, NVIDIA GeForce RTX 4090 D, [N/A], 24564, [Not Supported], [N/A]\r\n"
    "@@lathe gpus-exit 0\r\n"
    "@@lathe worker\r\n"
    "\r\n"
    "lathe-train 0.3.0 (libtorch 2.3.1)\r\n"
    "more detail\r\n"
    "@@lathe worker-exit 0\r\n"
    "@@lathe end\r\n";

TEST(ParseProbeOutput, TwoGpusWithUnknownValuesCrlfAndABanner) {
    HostFacts facts = parse_probe_output(kTwoGpus);
    EXPECT_EQ(facts.os, "Ubuntu 22.04.4 LTS");
    EXPECT_EQ(facts.kernel, "Linux 5.15.0-105-generic");
    EXPECT_EQ(facts.cpu_count, 64);
    EXPECT_EQ(facts.memory_total_bytes, 1056507384LL * 1024);
    EXPECT_EQ(facts.memory_available_bytes, 1000000000LL * 1024);
    EXPECT_EQ(facts.disk_free_bytes, 1000000000LL * 1024);
    ASSERT_EQ(facts.gpus.size(), 2u);
    EXPECT_EQ(facts.gpus[0].index, 0);
    EXPECT_EQ(facts.gpus[0].name, "NVIDIA A100-SXM4-80GB");
    EXPECT_EQ(facts.gpus[0].memory_used_mib, 1234);
    EXPECT_EQ(facts.gpus[0].memory_total_mib, 81920);
    EXPECT_EQ(facts.gpus[0].utilization_percent, 35);
    EXPECT_EQ(facts.gpus[0].temperature_c, 41);
    EXPECT_EQ(facts.gpus[1].index, 1);
    EXPECT_EQ(facts.gpus[1].name, "NVIDIA GeForce RTX 4090 D");
    EXPECT_EQ(facts.gpus[1].memory_used_mib, -1);
    EXPECT_EQ(facts.gpus[1].memory_total_mib, 24564);
    EXPECT_EQ(facts.gpus[1].utilization_percent, -1);
    EXPECT_EQ(facts.gpus[1].temperature_c, -1);
    EXPECT_EQ(facts.gpu_error, "");
    EXPECT_EQ(facts.worker_version, "lathe-train 0.3.0 (libtorch 2.3.1)");
    EXPECT_EQ(facts.worker_error, "");
}

TEST(ParseProbeOutput, TruncatedOutputIsAnError) {
    std::string text = kTwoGpus;
    text.resize(text.find("@@lathe end"));
    try {
        parse_probe_output(text);
        FAIL() << "no error";
    } catch (const core::Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("probe output truncated", 0), 0u) << e.what();
    }
    EXPECT_THROW(parse_probe_output(""), core::Error);
}

TEST(ParseProbeOutput, MissingSectionsLeaveDefaults) {
    HostFacts facts = parse_probe_output("@@lathe end\n");
    EXPECT_EQ(facts.os, "");
    EXPECT_EQ(facts.cpu_count, 0);
    EXPECT_EQ(facts.memory_total_bytes, 0);
    EXPECT_EQ(facts.disk_free_bytes, -1);
    EXPECT_TRUE(facts.gpus.empty());
    EXPECT_EQ(facts.gpu_error, "");
    EXPECT_EQ(facts.worker_version, "");
    EXPECT_EQ(facts.worker_error, "");
}

TEST(ParseProbeOutput, WorkerNotFoundAsDashAndBashSayIt) {
    for (const char* message :
         {"sh: 1: lathe-train: not found", "sh: line 1: lathe-train: command not found"}) {
        HostFacts facts = parse_probe_output(std::string("@@lathe worker\n") + message +
                                             "\n@@lathe worker-exit 127\n@@lathe end\n");
        EXPECT_EQ(facts.worker_version, "");
        EXPECT_EQ(facts.worker_error, "lathe-train: command not found on the node") << message;
    }
}

TEST(ParseProbeOutput, WorkerFailureKeepsExitStatusAndFirstLine) {
    HostFacts facts = parse_probe_output(
        "@@lathe worker\nFATAL: image x.sif not found\nsecond\n@@lathe worker-exit 255\n"
        "@@lathe end\n");
    EXPECT_EQ(facts.worker_version, "");
    EXPECT_EQ(facts.worker_error, "exit 255: FATAL: image x.sif not found");
}

TEST(ParseProbeOutput, NvidiaSmiFailures) {
    HostFacts facts = parse_probe_output(
        "@@lathe gpus\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
        "driver.\n@@lathe gpus-exit 9\n@@lathe end\n");
    EXPECT_TRUE(facts.gpus.empty());
    EXPECT_EQ(facts.gpu_error,
              "nvidia-smi: exit 9: NVIDIA-SMI has failed because it couldn't communicate with "
              "the NVIDIA driver.");

    facts = parse_probe_output(
        "@@lathe gpus\nnvidia-smi: not found\n@@lathe gpus-exit 127\n@@lathe end\n");
    EXPECT_EQ(facts.gpu_error, "nvidia-smi: not found");

    facts = parse_probe_output("@@lathe gpus\n0, A\n@@lathe gpus-exit 0\n@@lathe end\n");
    EXPECT_TRUE(facts.gpus.empty());
    EXPECT_EQ(facts.gpu_error, "nvidia-smi: unexpected output: 0, A");
}

TEST(ParseProbeOutput, DfWithSpacesAndOldMeminfo) {
    HostFacts facts = parse_probe_output(
        "@@lathe disk\n"
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
        "map auto home 1000 600 400 60% /Volumes/My Disk\n"
        "@@lathe meminfo\n"
        "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n"
        "@@lathe end\n");
    EXPECT_EQ(facts.disk_free_bytes, 400 * 1024);
    EXPECT_EQ(facts.memory_available_bytes, 420 * 1024);  // no MemAvailable before Linux 3.14
}

TEST_F(HostFactsTest, RealProbeOnThisMachineWithMissingWorker) {
    HostFacts facts = probe((dir_ / "runs" / "not" / "yet").string(), "lathe-train-not-installed");
    expect_plausible(facts);
    EXPECT_EQ(facts.worker_version, "");
    EXPECT_EQ(facts.worker_error, "lathe-train-not-installed: command not found on the node");
}

TEST_F(HostFactsTest, RealProbeWithTheRealWorker) {
    std::string binary = find_lathe_train();
    if (binary.empty()) {
        GTEST_SKIP() << "no lathe-train build found; set LATHE_TRAIN_BINARY";
    }
    HostFacts facts = probe(dir_.string(), sq(binary));
    expect_plausible(facts);

    // What the worker itself prints, as the probe must report it.
    ShellResult direct = run_sh(sq(binary) + " --version 2>&1 </dev/null");
    std::string first = direct.out.substr(0, direct.out.find('\n'));
    if (direct.exit_status == 0) {
        EXPECT_EQ(facts.worker_version, first);
        EXPECT_EQ(facts.worker_error, "");
    } else {
        EXPECT_EQ(facts.worker_version, "");
        EXPECT_EQ(facts.worker_error, "exit " + std::to_string(direct.exit_status) + ": " + first);
    }
}

TEST_F(HostFactsTest, HostileRunsDirIsNeverExecuted) {
    const std::string hostile = "a b 'q\" $(touch x) `touch x` ;touch x\nnl";
    fs::create_directories(dir_ / hostile);
    for (const fs::path& runs : {dir_ / hostile, dir_ / hostile / "runs" / "later"}) {
        HostFacts facts = probe(runs.string(), "true");
        EXPECT_GT(facts.disk_free_bytes, 0) << runs;
    }
    EXPECT_FALSE(fs::exists(dir_ / "x"));
    EXPECT_FALSE(fs::exists(dir_ / hostile / "x"));
}

TEST_F(HostFactsTest, RelativeAndDashRunsDirs) {
    HostFacts facts = probe("-runs/later", "true");  // relative to the login directory
    EXPECT_GT(facts.disk_free_bytes, 0);
}

TEST_F(HostFactsTest, BrokenWorkerCommandFailsItsSectionOnly) {
    HostFacts facts = probe(dir_.string(), "lathe-train 'unbalanced");
    expect_plausible(facts);
    EXPECT_EQ(facts.worker_error.rfind("exit 2: ", 0), 0u) << facts.worker_error;
}

TEST_F(HostFactsTest, WorkerPrintingWithoutNewlineKeepsMarkersApart) {
    HostFacts facts = probe(dir_.string(), "printf 'lathe-train 9.9' #");
    EXPECT_EQ(facts.worker_version, "lathe-train 9.9");
    EXPECT_EQ(facts.worker_error, "");
}

}  // namespace
}  // namespace lathe::remote::hosts
