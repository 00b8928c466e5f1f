#include <gtest/gtest.h>

#include "core/registry/metric_chunks.h"
#include "core/registry/registry.h"
#include "core/registry/schema.h"
#include "core/registry/sqlite.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace lathe::core::registry {
namespace {

TEST(RegistryHosts, PutFindListRemove) {
    const auto path = (tests::temp_dir("reg-hosts") / "registry.sqlite3").string();
    auto reg = Registry::open({path});
    EXPECT_FALSE(reg.find_host("gpu1").has_value());
    reg.put_host("gpu1", {{"host", "10.0.0.5"}, {"port", 2222}});
    reg.put_host("a-node", {{"host", "a"}});
    reg.put_host("gpu1", {{"host", "10.0.0.6"}});  // replaced, not duplicated
    ASSERT_TRUE(reg.find_host("gpu1").has_value());
    EXPECT_EQ(reg.find_host("gpu1")->at("host"), "10.0.0.6");
    const auto hosts = reg.list_hosts();
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[0].first, "a-node");
    EXPECT_TRUE(reg.remove_host("gpu1"));
    EXPECT_FALSE(reg.remove_host("gpu1"));
    EXPECT_THROW(reg.put_host("", {}), Error);
}

TEST(RegistryOpen, Version5FileGainsEachRunsBestEvalLossFromItsSeries) {
    const auto path = (tests::temp_dir("reg-v5") / "registry.sqlite3").string();
    create_at_version(path, 5);
    {
        auto db = sqlite::Database::open(path, {});
        db.exec(
            "INSERT INTO runs(run_pk, id, status, created_at, last_eval_loss) VALUES "
            "(1, 'evaluated', 'finished', 1, 2.5), (2, 'never', 'finished', 2, NULL)");
        db.exec("INSERT INTO metric_keys(key_id, name) VALUES (1, 'loss'), (2, 'eval_loss')");
        std::vector<MetricPoint> evals = {{1, 10, std::nullopt, 1.0, 3.0},
                                          {2, 20, std::nullopt, 2.0, 2.0},
                                          {3, 30, std::nullopt, 3.0, 2.5}};
        std::vector<MetricPoint> losses = {{4, 30, std::nullopt, 3.0, 0.1}};
        merge_metric_points(db, 1, 2, evals);
        merge_metric_points(db, 1, 1, losses);
    }
    auto reg = Registry::open({path});
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    EXPECT_DOUBLE_EQ(*reg.get_run("evaluated").best_eval_loss, 2.0);
    EXPECT_FALSE(reg.get_run("never").best_eval_loss.has_value());
    EXPECT_EQ(reg.metric_series("evaluated", "eval_loss").size(), 3u);
}

TEST(RegistryHosts, Version4FileGainsTheHostsTableAndKeepsItsRuns) {
    const auto path = (tests::temp_dir("reg-v4") / "registry.sqlite3").string();
    create_at_version(path, 4);
    sqlite::Database::open(path, {}).exec(
        "INSERT INTO runs(run_pk, id, status, created_at) VALUES (1, 'a', 'finished', 1)");
    auto reg = Registry::open({path});
    EXPECT_EQ(reg.schema_version(), kSchemaVersion);
    EXPECT_TRUE(reg.find_run("a").has_value());
    reg.put_host("n", {{"host", "n"}});
    EXPECT_EQ(reg.list_hosts().size(), 1u);
}

}  // namespace
}  // namespace lathe::core::registry
