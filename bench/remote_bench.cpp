// Remote figures (issue 6), over a real OpenSSH sshd on 127.0.0.1 that this program starts:
//  1. Event latency node -> registry: a remote run under the real lathe-supervisor whose worker is
//     a shell stand-in writing a log event every ~50 ms, each stamped with its wall-clock write
//     time, followed with follow_remote_run; latency = wall clock when the point is in the
//     registry - the event's time. Reference in the same run: the same script writing to a local
//     file read back by plain file reads polled at the same interval.
//  2. Download throughput of download_resumable for a file of random bytes, against OpenSSH scp
//     of the same file in the same run, and for a few (chunk_bytes, window) settings.
// Usage: bench_remote [--mb N (500)] [--events N (400)] [--poll-ms N (200)]
#include <libssh/libssh.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/registry/registry.h"
#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_preparation.h"
#include "core/util/file_io.h"
#include "core/util/sha256.h"
#include "remote/runs/remote_host.h"
#include "remote/runs/remote_run_files.h"
#include "remote/runs/remote_sync.h"
#include "remote/runs/session_pool.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/transfer.h"
#include "tests/remote/support/sshd_server.h"
#include "tests/tiny_run_config.h"

namespace fs = std::filesystem;
using namespace lathe::remote;
using lathe::core::run_manager::RunManager;
using nlohmann::json;

namespace {

constexpr int kEventIntervalMs = 50;

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Nearest-rank percentile of `values` (sorted here), p in [0, 100].
double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::max(1.0, p / 100.0 * values.size() + 0.5));
    return values[std::min(rank, values.size()) - 1];
}

struct Latency {
    std::vector<double> ms;
    void print(const char* what) const {
        std::printf("%s: %zu events, p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", what, ms.size(),
                    percentile(ms, 50), percentile(ms, 95),
                    ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));
    }
};

// Stands in for lathe-train (same argv as the launcher gives it): `events` log events, one every
// ~50 ms, each carrying its own write time. GNU date's %N works under dash (/bin/sh here).
std::string fake_trainer(int events) {
    return R"sh(
if [ "$1" = --version ]; then echo "lathe-train 0.1.0 (bench stand-in)"; exit 0; fi
dir=$4; id=$6; n=)sh" +
           std::to_string(events) + R"sh(
printf '{"seq":1,"time":%s,"run_id":"%s","type":"run_started","max_steps":%d}\n' "$(date +%s.%N)" "$id" $n >> "$dir/events.jsonl"
i=1
while [ $i -le $n ]; do
  printf '{"seq":%d,"time":%s,"run_id":"%s","type":"log","step":%d,"loss":%d.25}\n' $((i+1)) "$(date +%s.%N)" "$id" $i $i >> "$dir/events.jsonl"
  i=$((i+1))
  sleep )sh" +
           std::to_string(kEventIntervalMs / 1000.0) + R"sh(
done
printf '{"seq":%d,"time":%s,"run_id":"%s","type":"run_finished","reason":"completed","metrics":{}}\n' $((n+2)) "$(date +%s.%N)" "$id" >> "$dir/events.jsonl"
)sh";
}

// Reference: the stand-in writes into a local folder; its events.jsonl is read by plain reads
// every `poll_ms`, and each new log line's latency is the read time - its time.
Latency local_tail_latency(const fs::path& script, const fs::path& dir, int poll_ms) {
    fs::create_directories(dir);
    const std::string dir_s = dir.string();
    const std::string script_s = script.string();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sh", "/bin/sh", script_s.c_str(), "--config", "run.json", "--run-dir",
                dir_s.c_str(), "--run-id", "local", "--no-progress", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    Latency latency;
    const fs::path events = dir / "events.jsonl";
    std::uint64_t offset = 0;
    std::string pending;
    bool finished = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (!finished && std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(events, std::ios::binary);
        if (in) {
            in.seekg(static_cast<std::streamoff>(offset));
            std::string chunk((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
            offset += chunk.size();
            pending += chunk;
            const double now = wall_now();
            std::size_t start = 0;
            for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos;
                 start = end + 1) {
                const json event = json::parse(pending.substr(start, end - start));
                if (event["type"] == "log") {
                    latency.ms.push_back((now - event["time"].get<double>()) * 1e3);
                } else if (event["type"] == "run_finished") {
                    finished = true;
                }
            }
            pending.erase(0, start);
        }
        if (!finished) {
            std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return latency;
}

// A run.json that prepare_run accepts (the stand-in ignores it).
fs::path write_config(const fs::path& dir) {
    return lathe::tests::write_tiny_run_config(dir, "latency");
}

struct PassStats {
    std::vector<double> plain_ms;  // passes that only read the files
    std::vector<double> probe_ms;  // passes that also probed the processes on the node
    int problems = 0;
};

// `mb` * 1,000,000 bytes that no compressor shrinks: splitmix64 seeded from /dev/urandom.
void write_random_file(const fs::path& path, int mb) {
    std::uint64_t state = std::random_device{}();
    state = state << 32 ^ std::random_device{}();
    std::vector<std::uint64_t> block(1000000 / sizeof(std::uint64_t));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < mb; ++i) {
        for (auto& word : block) {
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            word = z ^ (z >> 31);
        }
        out.write(reinterpret_cast<const char*>(block.data()),
                  static_cast<std::streamsize>(block.size() * sizeof(std::uint64_t)));
    }
}

struct DownloadTiming {
    double total_s = 0;  // download_resumable, verification included
    double data_s = 0;   // until the last block was written (before fsync and the two SHA-256)
};

DownloadTiming timed_download(ssh::SftpClient& sftp, const std::string& remote,
                              const fs::path& local, std::uint32_t chunk_bytes, int window) {
    fs::remove(local);
    fs::remove(local.string() + ".lathe-part");
    std::chrono::steady_clock::time_point last_block;
    const auto start = std::chrono::steady_clock::now();
    const auto result = ssh::download_resumable(
        sftp, remote, local.string(),
        [&](std::uint64_t, std::uint64_t) { last_block = std::chrono::steady_clock::now(); },
        chunk_bytes, window);
    DownloadTiming t;
    t.total_s = seconds_since(start);
    t.data_s = std::chrono::duration<double>(last_block - start).count();
    if (!result.transferred || result.resumed_from != 0) {
        std::printf("  (warning: not a fresh download: resumed from %llu)\n",
                    static_cast<unsigned long long>(result.resumed_from));
    }
    fs::remove(local);
    return t;
}

std::string shell_output_or_empty(const std::string& command) {
    try {
        return lathe::tests::shell_output(command);
    } catch (const std::exception&) {
        return "";
    }
}

}  // namespace

int main(int argc, char** argv) {
    int mb = 500;
    int events = 400;
    int poll_ms = lathe::remote::runs::FollowOptions{}.poll_interval_ms;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = i + 1 < argc ? std::atoi(argv[i + 1]) : 0;
        if (flag == "--mb") {
            mb = value;
        } else if (flag == "--events") {
            events = value;
        } else if (flag == "--poll-ms") {
            poll_ms = value;
        } else {
            std::fprintf(stderr, "usage: %s [--mb N] [--events N] [--poll-ms N]\n", argv[0]);
            return 2;
        }
    }
    if (mb <= 0 || events <= 0 || poll_ms <= 0) {
        std::fprintf(stderr, "--mb, --events and --poll-ms must be positive\n");
        return 2;
    }

    lathe::tests::SshdServer server("bench-remote");
    const fs::path local =
        fs::temp_directory_path() / ("lathe-bench-remote-" + std::to_string(::getpid()));
    fs::remove_all(local);
    fs::create_directories(local);
    std::printf("sshd (OpenSSH) on 127.0.0.1:%d, user %s; local files in %s\n", server.port(),
                server.user().c_str(), local.string().c_str());

    runs::RemoteHost host;
    host.name = "node";
    host.ssh = server.target();

    // 1. Event latency.
    {
        const fs::path script = server.dir() / "fake-trainer.sh";
        std::ofstream(script) << fake_trainer(events);
        std::printf(
            "\n== event latency, node -> registry: %d log events, one every ~%d ms (plus the "
            "stand-in's date/sleep process starts) ==\n",
            events, kEventIntervalMs);
        std::printf(
            "poll interval: %d ms (FollowOptions default poll_interval_ms%s), probes after %d ms "
            "without new bytes and at least every %d ms (defaults)\n",
            poll_ms, poll_ms == runs::FollowOptions{}.poll_interval_ms ? "" : " overridden",
            runs::FollowOptions{}.idle_probe_ms, runs::FollowOptions{}.probe_interval_ms);

        const Latency reference = local_tail_latency(script, local / "local-tail", poll_ms);
        reference.print("reference local file tail (plain reads, same poll interval)");

        lathe::core::run_manager::LathePaths paths;
        paths.registry_path = (local / "registry.sqlite3").string();
        paths.runs_root = (local / "runs").string();
        paths.supervisor_program = LATHE_SUPERVISOR_BINARY;
        RunManager manager(paths);
        host.worker_command = "/bin/sh " + ssh::shell_quote(script.string());
        host.supervisor_command = ssh::shell_quote(LATHE_SUPERVISOR_BINARY);
        host.runs_dir = (server.dir() / "node-runs").string();
        manager.registry().put_host(host.name, runs::to_json(host));
        runs::SessionPool pool;
        const runs::HostResolver resolve = runs::find_remote_host;
        manager.set_target_launcher(std::make_shared<runs::SshLauncher>(pool, resolve));

        lathe::core::run_manager::SubmitOptions submit;
        submit.target = runs::target_for_host(host.name);
        auto start = std::chrono::steady_clock::now();
        const auto run = manager.submit(
            lathe::core::run_manager::prepare_run(write_config(local / "config").string(), {}),
            submit);
        std::printf("submit (upload, start under lathe-supervisor): %.0f ms\n",
                    seconds_since(start) * 1e3);

        runs::FollowOptions options;
        options.poll_interval_ms = poll_ms;
        Latency remote;
        PassStats passes;
        std::size_t seen = 0;
        auto last_pass = std::chrono::steady_clock::now();
        bool first = true;
        start = std::chrono::steady_clock::now();
        runs::follow_remote_run(
            manager, pool, resolve, run.id, options, nullptr,
            [&](const runs::RemoteSyncReport& report) {
                const auto series = manager.registry().metric_series(run.id, "loss");
                const double now = wall_now();
                for (std::size_t i = seen; i < series.size(); ++i) {
                    remote.ms.push_back((now - series[i].time) * 1e3);
                }
                seen = series.size();
                // A pass ran between the previous callback and this one, after a sleep of
                // poll_ms (no problems here, so no backoff).
                const auto at = std::chrono::steady_clock::now();
                const double pass_ms =
                    std::chrono::duration<double, std::milli>(at - last_pass).count() -
                    (first ? 0.0 : poll_ms);
                (report.probed.empty() ? passes.plain_ms : passes.probe_ms).push_back(pass_ms);
                passes.problems += static_cast<int>(report.problems.size());
                last_pass = at;
                first = false;
            });
        const double follow_s = seconds_since(start);
        const auto done = manager.registry().get_run(run.id);
        std::printf(
            "follow_remote_run: %.1f s, %zu passes (%zu with a process probe), %d "
            "problems, run %s\n",
            follow_s, passes.plain_ms.size() + passes.probe_ms.size(), passes.probe_ms.size(),
            passes.problems, lathe::core::registry::to_string(done.status).c_str());
        std::printf(
            "pass duration: file reads + ingest p50 %.1f ms (max %.1f), with probe p50 "
            "%.1f ms (max %.1f)\n",
            percentile(passes.plain_ms, 50),
            passes.plain_ms.empty()
                ? 0.0
                : *std::max_element(passes.plain_ms.begin(), passes.plain_ms.end()),
            percentile(passes.probe_ms, 50),
            passes.probe_ms.empty()
                ? 0.0
                : *std::max_element(passes.probe_ms.begin(), passes.probe_ms.end()));
        remote.print("remote follow_remote_run (SFTP -> mirror -> registry)");
        if (remote.ms.size() != static_cast<std::size_t>(events)) {
            std::printf("warning: %zu of %d events reached the registry\n", remote.ms.size(),
                        events);
        }
        std::printf("remote / local: p50 %.2f, p95 %.2f\n",
                    percentile(remote.ms, 50) / percentile(reference.ms, 50),
                    percentile(remote.ms, 95) / percentile(reference.ms, 95));
        std::printf("aim: p95 < 500 ms: %s\n",
                    percentile(remote.ms, 95) < 500.0 ? "met" : "not met");
    }

    // 2. Download throughput.
    {
        std::printf("\n== download throughput: %d MB (10^6 bytes) of random bytes ==\n", mb);
        const fs::path remote_file = server.dir() / "big.bin";
        auto start = std::chrono::steady_clock::now();
        write_random_file(remote_file, mb);
        std::printf("wrote %s in %.1f s (in the page cache for every reader below)\n",
                    remote_file.string().c_str(), seconds_since(start));
        const double mbytes = static_cast<double>(fs::file_size(remote_file)) / 1e6;
        const fs::path target = local / "download.bin";

        // Lathe's default setting, timed like scp: a fresh connection, then the download. Against
        // OpenSSH scp (9.x: the SFTP protocol by default) of the same file. Two alternating
        // rounds, the faster of each counts: two cores make single runs noisy.
        const fs::path scp_target = local / "scp.bin";
        const std::string port = std::to_string(server.port());
        const std::string options =
            " -i " + ssh::shell_quote(server.client_key().string()) +
            " -o UserKnownHostsFile=" + ssh::shell_quote(server.known_hosts().string()) +
            " -o StrictHostKeyChecking=yes -o BatchMode=yes ";
        const std::string scp = "scp -q -P " + port + options + server.user() +
                                "@127.0.0.1:" + ssh::shell_quote(remote_file.string()) + " " +
                                ssh::shell_quote(scp_target.string());
        std::string scp_cipher =
            shell_output_or_empty("ssh -v -s -p " + port + options + server.user() +
                                  "@127.0.0.1 sftp </dev/null 2>&1 | sed -n 's/.*server->client "
                                  "cipher: \\([^ ]*\\).*/\\1/p'");
        scp_cipher.erase(scp_cipher.find_last_not_of("\n") + 1);

        std::unique_ptr<ssh::Session> session;
        std::unique_ptr<ssh::SftpClient> sftp;
        double best_lathe_s = 1e30, best_lathe_data_s = 1e30, best_scp_s = 1e30;
        bool scp_ok = true;
        for (int round = 1; round <= 2; ++round) {
            sftp.reset();
            session.reset();
            start = std::chrono::steady_clock::now();
            session = ssh::Session::connect(host.ssh);
            sftp = std::make_unique<ssh::SftpClient>(*session);
            const double connect_s = seconds_since(start);
            const DownloadTiming lathe =
                timed_download(*sftp, remote_file.string(), target, 32 * 1024, 64);
            const double lathe_s = connect_s + lathe.total_s;
            best_lathe_s = std::min(best_lathe_s, lathe_s);
            best_lathe_data_s = std::min(best_lathe_data_s, connect_s + lathe.data_s);
            std::printf(
                "round %d: lathe download_resumable (defaults: 32 KiB x 64, cipher %s): %.2f s = "
                "%.0f MB/s "
                "(connect + SFTP open %.0f ms, data %.2f s = %.0f MB/s, fsync + SHA-256 on both "
                "ends %.2f s)\n",
                round, ssh_get_cipher_in(session->raw()), lathe_s, mbytes / lathe_s,
                connect_s * 1e3, lathe.data_s, mbytes / lathe.data_s, lathe.total_s - lathe.data_s);

            fs::remove(scp_target);
            start = std::chrono::steady_clock::now();
            const int scp_status = std::system(scp.c_str());
            const double scp_s = seconds_since(start);
            std::error_code ec;
            const auto scp_bytes = fs::file_size(scp_target, ec);
            fs::remove(scp_target);
            if (scp_status != 0 || ec || scp_bytes != fs::file_size(remote_file)) {
                std::printf("round %d: reference scp failed (status %d): %s\n", round, scp_status,
                            scp.c_str());
                scp_ok = false;
                continue;
            }
            best_scp_s = std::min(best_scp_s, scp_s);
            std::printf(
                "round %d: reference OpenSSH scp (SFTP protocol, the OpenSSH 9 default; cipher "
                "%s; connect included, no verification, no fsync): %.2f s = %.0f MB/s\n",
                round, scp_cipher.c_str(), scp_s, mbytes / scp_s);
        }
        if (scp_ok) {
            std::printf(
                "best of 2: lathe %.0f MB/s with verification (%.0f MB/s connect + data only), "
                "scp %.0f MB/s\n",
                mbytes / best_lathe_s, mbytes / best_lathe_data_s, mbytes / best_scp_s);
            std::printf("lathe / scp: %.2f with verification, %.2f without (connect + data)\n",
                        best_scp_s / best_lathe_s, best_scp_s / best_lathe_data_s);
            std::printf("aim: >= 0.8 of scp: %s (with verification)\n",
                        best_scp_s / best_lathe_s >= 0.8 ? "met" : "not met");
        }

        // Where the verification time goes: the two hashes alone (the same page-cached bytes);
        // what remains of it is mostly the fsync of the local copy.
        start = std::chrono::steady_clock::now();
        lathe::core::util::sha256_file_hex(remote_file.string());
        const double local_hash_s = seconds_since(start);
        start = std::chrono::steady_clock::now();
        ssh::remote_sha256(*sftp, remote_file.string());
        const double remote_hash_s = seconds_since(start);
        std::printf(
            "verification parts: local SHA-256 (OpenSSL) %.2f s, remote sha256sum (one SSH "
            "command) %.2f s, in sequence\n",
            local_hash_s, remote_hash_s);

        // Other settings, on the open connection (the default's figures are above).
        struct Setting {
            std::uint32_t chunk_bytes;
            int window;
        };
        for (const Setting s :
             {Setting{64 * 1024, 64}, Setting{64 * 1024, 16}, Setting{256 * 1024, 16}}) {
            try {
                const DownloadTiming t =
                    timed_download(*sftp, remote_file.string(), target, s.chunk_bytes, s.window);
                std::printf(
                    "  chunk %3u KiB x window %2d: %.2f s = %.0f MB/s with verification, data "
                    "%.0f MB/s\n",
                    s.chunk_bytes / 1024, s.window, t.total_s, mbytes / t.total_s,
                    mbytes / t.data_s);
            } catch (const std::exception& e) {
                std::printf("  chunk %3u KiB x window %2d: failed: %s\n", s.chunk_bytes / 1024,
                            s.window, e.what());
            }
        }
        fs::remove(remote_file);
    }
    fs::remove_all(local);
    return 0;
}
