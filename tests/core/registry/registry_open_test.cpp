#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#include "core/registry/location.h"
#include "core/registry/registry.h"
#include "core/registry/schema.h"
#include "core/registry/sqlite.h"
#include "core/util/error.h"
#include "tests/core/registry/registry_test_support.h"
#include "tests/test_support.h"

namespace lathe::core::registry {
namespace {
namespace fs = std::filesystem;
using testing::make_run;

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(RegistryLocation, EnvironmentOverridesThenXdgThenHome) {
    ScopedEnv home("HOME", "/home/someone");
    {
        ScopedEnv reg("LATHE_REGISTRY", "/x/reg.sqlite3");
        ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
        EXPECT_EQ(default_registry_path(), "/x/reg.sqlite3");
    }
    ScopedEnv reg("LATHE_REGISTRY", nullptr);
    {
        ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
        EXPECT_EQ(default_registry_path(), "/xdg/lathe/registry.sqlite3");
    }
    ScopedEnv xdg("XDG_DATA_HOME", nullptr);
    EXPECT_EQ(default_registry_path(), "/home/someone/.local/share/lathe/registry.sqlite3");
}

TEST(RegistryOpen, CreatesFolderAndFileInWalModeAtCurrentVersion) {
    const auto path = (tests::temp_dir("reg-open") / "a" / "b" / "registry.sqlite3").string();
    auto reg = Registry::open({path});
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    EXPECT_EQ(reg.database().query_int64("PRAGMA application_id"), kApplicationId);
    {
        auto mode = reg.database().prepare("PRAGMA journal_mode");
        ASSERT_TRUE(mode.step());
        EXPECT_EQ(mode.text(0), "wal");
    }
    EXPECT_EQ(reg.database().query_int64("PRAGMA foreign_keys"), 1);
    EXPECT_EQ(reg.database().query_int64("PRAGMA synchronous"), 1);  // NORMAL

    // Opening again (and read-only) finds the same registry.
    reg.insert_run(make_run("r1"));
    auto again = Registry::open({path, 1000, true});
    EXPECT_EQ(again.get_run("r1").name, "name of r1");
}

TEST(RegistryOpen, MigratesVersion1WithDataToCurrent) {
    const auto path = (tests::temp_dir("reg-v1") / "registry.sqlite3").string();
    create_at_version(path, 1);
    {
        auto db = sqlite::Database::open(path, {});
        db.exec(
            "INSERT INTO runs(run_pk, id, name, status, created_at, global_step, last_loss) "
            "VALUES (1, 'old', 'old run', 'finished', 5.0, 300, 2.5)");
        db.exec("INSERT INTO metric_keys(key_id, name) VALUES (1, 'loss')");
        db.exec(
            "INSERT INTO metrics(run, key, seq, step, epoch, time, value) VALUES "
            "(1, 1, 3, 10, 0.1, 7.0, 4.5), (1, 1, 5, 20, NULL, 8.0, 4.0)");
        db.exec(
            "INSERT INTO ingestion(run, byte_offset, next_line, last_seq) VALUES (1, 99, 6, 5)");
    }
    auto reg = Registry::open({path});
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    const RunRecord run = reg.get_run("old");
    EXPECT_EQ(run.name, "old run");
    EXPECT_EQ(run.status, RunStatus::finished);
    EXPECT_EQ(run.global_step, 300);
    EXPECT_EQ(run.last_loss, 2.5);
    EXPECT_EQ(run.notes, "");
    EXPECT_TRUE(run.fork_diff.is_null());
    EXPECT_TRUE(run.tags.empty());
    const auto series = reg.metric_series("old", "loss");
    ASSERT_EQ(series.size(), 2u);
    EXPECT_EQ(series[0].step, 10);
    EXPECT_EQ(series[0].epoch, 0.1);
    EXPECT_FALSE(series[1].epoch);
    EXPECT_EQ(reg.ingestion_progress("old").byte_offset, 99u);
    // The tables of v2 and v3 work.
    reg.add_tag("old", "baseline");
    reg.upsert_checkpoint("old", {300, "/c/checkpoint-300", "", 5, {}, true, true, 9.0, {}});
    EXPECT_EQ(reg.get_run("old").tags, std::vector<std::string>{"baseline"});
    EXPECT_EQ(reg.checkpoints("old").size(), 1u);
}

TEST(RegistryOpen, MigratesVersion2WithDataToCurrent) {
    const auto path = (tests::temp_dir("reg-v2") / "registry.sqlite3").string();
    create_at_version(path, 2);
    {
        auto db = sqlite::Database::open(path, {});
        db.exec("INSERT INTO runs(run_pk, id, status, created_at) VALUES (7, 'r', 'failed', 1)");
        db.exec(
            "INSERT INTO checkpoints(run, path, step, bytes, metrics, best, present, saved_at) "
            "VALUES (7, '/c/checkpoint-10', 10, 123, '{\"eval_loss\":1.5}', 1, 1, 2.0)");
        db.exec(
            "INSERT INTO samples(run, seq, step, time, prompt, text) VALUES (7, 4, 10, 3.0, 'Q', "
            "'Q: hi')");
    }
    auto reg = Registry::open({path});
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    const auto checkpoints = reg.checkpoints("r");
    ASSERT_EQ(checkpoints.size(), 1u);
    EXPECT_EQ(checkpoints[0].bytes, 123);
    EXPECT_EQ(checkpoints[0].metrics["eval_loss"], 1.5);
    EXPECT_TRUE(checkpoints[0].best);
    const auto samples = reg.samples("r");
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].text, "Q: hi");
    reg.set_notes("r", "kept");
    EXPECT_EQ(reg.get_run("r").notes, "kept");
    EXPECT_FALSE(reg.get_run("r").queue_position);
}

TEST(RegistryOpen, MigratesVersion3MetricRowsIntoChunks) {
    const auto path = (tests::temp_dir("reg-v3") / "registry.sqlite3").string();
    create_at_version(path, 3);
    {
        auto db = sqlite::Database::open(path, {});
        db.exec(
            "INSERT INTO runs(run_pk, id, status, created_at) VALUES (1, 'a', 'finished', 1), "
            "(2, 'b', 'running', 2)");
        db.exec("INSERT INTO metric_keys(key_id, name) VALUES (1, 'loss'), (2, 'lr')");
        // 1,300 loss points of run a (three chunks), every third without epoch; a few others.
        sqlite::Transaction tx(db);
        auto insert = db.prepare(
            "INSERT INTO metrics(run, key, seq, step, epoch, time, value) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7)");
        for (std::int64_t seq = 1; seq <= 1300; ++seq) {
            insert.bind(1, std::int64_t{1}).bind(2, std::int64_t{1}).bind(3, seq * 2);
            insert.bind(4, seq).bind(5, seq % 3 ? std::optional<double>(seq * 0.01) : std::nullopt);
            insert.bind(6, 100.0 + seq).bind(7, 1.0 / seq).run();
        }
        db.exec(
            "INSERT INTO metrics(run, key, seq, step, epoch, time, value) VALUES "
            "(1, 2, 5, 1, NULL, 7.0, 0.001), (2, 1, 9, 3, 0.5, 8.0, 4.25)");
        db.exec("INSERT INTO ingestion(run, byte_offset, next_line, last_seq) VALUES (1, 9, 2, 1)");
        tx.commit();
    }
    auto reg = Registry::open({path});
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    EXPECT_EQ(reg.database().query_int64(
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'metrics'"),
              0);
    const auto loss = reg.metric_series("a", "loss");
    ASSERT_EQ(loss.size(), 1300u);
    for (std::int64_t seq = 1; seq <= 1300; ++seq) {
        const MetricPoint& p = loss[static_cast<std::size_t>(seq - 1)];
        ASSERT_EQ(p.seq, seq * 2);
        EXPECT_EQ(p.step, seq);
        EXPECT_EQ(p.epoch, seq % 3 ? std::optional<double>(seq * 0.01) : std::nullopt);
        EXPECT_EQ(p.time, 100.0 + seq);
        EXPECT_EQ(p.value, 1.0 / seq);
    }
    EXPECT_EQ(
        reg.database().query_int64("SELECT count(*) FROM metric_chunks WHERE run = 1 AND key = 1"),
        3);
    EXPECT_EQ(reg.metric_keys("a"), (std::vector<std::string>{"loss", "lr"}));
    ASSERT_EQ(reg.metric_series("b", "loss").size(), 1u);
    EXPECT_EQ(reg.metric_series("b", "loss")[0].value, 4.25);
    EXPECT_EQ(reg.ingestion_progress("a").byte_offset, 9u);
    // New points append after the moved ones; those already there are kept.
    reg.add_metric_points("a", "loss", {{2, 1, {}, 0, 99.0}, {2601, 1301, {}, 0, 0.5}});
    const auto more = reg.metric_series("a", "loss");
    ASSERT_EQ(more.size(), 1301u);
    EXPECT_EQ(more.front().value, 1.0);
    EXPECT_EQ(more.back().seq, 2601);
}

TEST(RegistryOpen, RefusesNewerSchema) {
    const auto path = (tests::temp_dir("reg-newer") / "registry.sqlite3").string();
    create_at_version(path, kSchemaVersion);
    const int newer = kSchemaVersion + 1;
    sqlite::Database::open(path, {}).exec("PRAGMA user_version = " + std::to_string(newer));
    EXPECT_EQ(error_of([&] { Registry::open({path}); }),
              path + ": registry schema version " + std::to_string(newer) +
                  " is newer than this Lathe (" + std::to_string(kSchemaVersion) +
                  "); upgrade Lathe or use another --registry");
}

TEST(RegistryOpen, RefusesAnotherApplicationsDatabase) {
    const auto path = (tests::temp_dir("reg-foreign") / "other.sqlite3").string();
    {
        auto db = sqlite::Database::open(path, {});
        db.exec("PRAGMA application_id = 1234");
        db.exec("CREATE TABLE t(x)");
    }
    const std::string error = error_of([&] { Registry::open({path}); });
    EXPECT_NE(error.find(path + ": not a Lathe registry (application_id 0x000004D2"),
              std::string::npos)
        << error;
    // A plain SQLite file with tables but no application_id is not taken over either.
    const auto plain = (tests::temp_dir("reg-foreign") / "plain.sqlite3").string();
    sqlite::Database::open(plain, {}).exec("CREATE TABLE t(x)");
    EXPECT_NE(error_of([&] { Registry::open({plain}); }).find("not a Lathe registry"),
              std::string::npos);
}

TEST(RegistryOpen, CorruptFileIsRefusedWithItsPath) {
    const auto path = (tests::temp_dir("reg-corrupt") / "registry.sqlite3").string();
    {
        std::ofstream out(path, std::ios::binary);
        for (int i = 0; i < 8192; ++i)
            out.put(static_cast<char>((i * 7919) % 251));
    }
    const std::string error = error_of([&] { Registry::open({path}); });
    EXPECT_EQ(error.rfind(path + ": not a Lathe registry (file is not a database)", 0), 0u)
        << error;
    EXPECT_NE(error_of([&] {
                  Registry::open({path, 1000, true});
              }).find("not a Lathe registry"),
              std::string::npos);
}

TEST(RegistryOpen, UnwritableFolderIsAnErrorNamingThePath) {
    const auto dir = tests::temp_dir("reg-unwritable") / "locked";
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0500);
    const auto path = (dir / "registry.sqlite3").string();
    if (::access(dir.c_str(), W_OK) == 0) {
        ::chmod(dir.c_str(), 0700);
        GTEST_SKIP() << "running as root: the folder stays writable";
    }
    const std::string error = error_of([&] { Registry::open({path}); });
    EXPECT_EQ(error.rfind(path + ": cannot open the registry", 0), 0u) << error;
    EXPECT_NE(error.find("Permission denied"), std::string::npos) << error;
    const auto nested = (dir / "sub" / "registry.sqlite3").string();
    const std::string nested_error = error_of([&] { Registry::open({nested}); });
    EXPECT_NE(nested_error.find(nested), std::string::npos) << nested_error;
    EXPECT_NE(nested_error.find("Permission denied"), std::string::npos) << nested_error;
    ::chmod(dir.c_str(), 0700);
}

TEST(RunStatusNames, RoundTripAndBadValueIsNamed) {
    for (auto s : {RunStatus::queued, RunStatus::starting, RunStatus::running, RunStatus::finished,
                   RunStatus::failed, RunStatus::stopped, RunStatus::lost})
        EXPECT_EQ(parse_run_status(to_string(s)), s);
    EXPECT_NE(error_of([] { parse_run_status("done"); }).find("\"done\""), std::string::npos);
    EXPECT_TRUE(is_terminal(RunStatus::lost));
    EXPECT_FALSE(is_terminal(RunStatus::starting));
}

}  // namespace
}  // namespace lathe::core::registry
