// What an install on a host changes in the registry (remote/runs/host_install.h record_install):
// the full install (the studio's and `lathe hosts install`'s default targets) points the host at
// what it built; a supervisor-only one (the CI's install test) leaves the host alone.
#include <gtest/gtest.h>

#include "core/registry/registry.h"
#include "remote/runs/host_install.h"
#include "remote/runs/remote_host.h"
#include "remote/ssh/shell_quote.h"
#include "tests/test_support.h"

namespace lathe::remote::runs {
namespace {

TEST(RecordInstall, AWorkerInstallPointsTheHostAtItsBinariesAndASupervisorOneChangesNothing) {
    const auto dir = tests::temp_dir("record-install");
    auto registry = core::registry::Registry::open({(dir / "registry.sqlite3").string()});
    RemoteHost host;
    host.name = "gpu1";  // a ~/.ssh/config alias: not in the registry yet
    host.ssh.host = "gpu1";
    InstallResult installed;
    installed.bin_dir = "/home/me/my lathe/bin";

    InstallOptions supervisor_only;
    supervisor_only.targets = "lathe-supervisor";
    EXPECT_FALSE(record_install(registry, host, supervisor_only, installed).has_value());
    EXPECT_FALSE(registry.find_host("gpu1").has_value());

    const InstallOptions full;  // lathe-train lathe-supervisor
    const auto updated = record_install(registry, host, full, installed);
    ASSERT_TRUE(updated.has_value());
    EXPECT_EQ(updated->worker_command, ssh::shell_quote("/home/me/my lathe/bin/lathe-train"));
    EXPECT_EQ(updated->supervisor_command,
              ssh::shell_quote("/home/me/my lathe/bin/lathe-supervisor"));
    const auto saved = remote_host_from_json(*registry.find_host("gpu1"), "test");
    EXPECT_EQ(saved.worker_command, updated->worker_command);
    EXPECT_EQ(saved.supervisor_command, updated->supervisor_command);
    EXPECT_EQ(saved.ssh.host, "gpu1");
}

}  // namespace
}  // namespace lathe::remote::runs
