#include "remote/hosts/ssh_config.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace lathe::remote::hosts {
namespace {

namespace fs = std::filesystem;

std::string local_user() {
    const passwd* pw = ::getpwuid(::getuid());
    return pw != nullptr ? pw->pw_name : "";
}

// Each test gets its own directory, doubling as $HOME so that `~` and %d are checkable.
class SshConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/lathe-ssh-config-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        const char* home = std::getenv("HOME");
        old_home_ = home != nullptr ? std::optional<std::string>(home) : std::nullopt;
        ::setenv("HOME", dir_.c_str(), 1);
    }
    void TearDown() override {
        if (old_home_) {
            ::setenv("HOME", old_home_->c_str(), 1);
        } else {
            ::unsetenv("HOME");
        }
        fs::remove_all(dir_);
    }

    std::string write(const std::string& relative, const std::string& text) {
        fs::path p = dir_ / relative;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    std::string config(const std::string& text) { return write("config", text); }

    SshConfigHost resolve(const std::string& path, const std::string& alias) {
        auto host = resolve_config_host(path, alias);
        EXPECT_TRUE(host.has_value());
        return host.value_or(SshConfigHost{});
    }

    static std::string error_of(const std::function<void()>& f) {
        try {
            f();
        } catch (const core::Error& e) {
            return e.what();
        }
        return "(no error)";
    }

    fs::path dir_;
    std::optional<std::string> old_home_;
};

TEST_F(SshConfigTest, MissingFileIsAnEmptyListAndNoHost) {
    std::string path = (dir_ / "nope" / "config").string();
    EXPECT_TRUE(list_config_hosts(path).empty());
    EXPECT_FALSE(resolve_config_host(path, "a").has_value());
}

TEST_F(SshConfigTest, UnreadableFileIsAnErrorNamingIt) {
    // A directory: unreadable even for root, which ignores permission bits.
    fs::create_directories(dir_ / "config");
    std::string path = (dir_ / "config").string();
    std::string message = error_of([&] { list_config_hosts(path); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST_F(SshConfigTest, ConcreteAliasesInFileOrderWithDefaults) {
    std::string path = config(
        "# my hosts\n"
        "\n"
        "Host gpu1 gpu2 *.cluster !bad ?x\n"
        "    HostName 10.0.0.1\n"
        "Host box\n"
        "Host gpu1\n"
        "    Port 2222\n");
    auto hosts = list_config_hosts(path);
    ASSERT_EQ(hosts.size(), 3u);
    EXPECT_EQ(hosts[0].alias, "gpu1");
    EXPECT_EQ(hosts[1].alias, "gpu2");
    EXPECT_EQ(hosts[2].alias, "box");
    EXPECT_EQ(hosts[0].hostname, "10.0.0.1");
    EXPECT_EQ(hosts[0].port, 2222);  // from its second Host block
    EXPECT_EQ(hosts[0].source, path + ":3");
    EXPECT_EQ(hosts[2].hostname, "box");
    EXPECT_EQ(hosts[2].user, local_user());
    EXPECT_EQ(hosts[2].port, 22);
    EXPECT_TRUE(hosts[2].identity_files.empty());
    EXPECT_EQ(hosts[2].source, path + ":5");
}

TEST_F(SshConfigTest, FirstValueWinsWithHostStarBefore) {
    std::string path = config(
        "Host *\n"
        "    User everyone\n"
        "    Port 2200\n"
        "Host a\n"
        "    User alice\n"
        "    Port 2222\n"
        "    HostName a.example\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.user, "everyone");
    EXPECT_EQ(a.port, 2200);
    EXPECT_EQ(a.hostname, "a.example");
    EXPECT_EQ(a.source, path + ":4");  // the line naming it, not `Host *`
}

TEST_F(SshConfigTest, FirstValueWinsWithHostStarAfter) {
    std::string path = config(
        "User global\n"  // before any Host: applies to every host
        "Host a\n"
        "    User alice\n"
        "Host *\n"
        "    User everyone\n"
        "    Port 2201\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.user, "global");
    EXPECT_EQ(a.port, 2201);

    path = config(
        "Host a\n"
        "    User alice\n"
        "Host *\n"
        "    User everyone\n"
        "    Port 2201\n");
    a = resolve(path, "a");
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.port, 2201);
}

TEST_F(SshConfigTest, MatchAllAppliesOtherMatchBlocksAreLeftOut) {
    std::string path = config(
        "Host a\n"
        "    HostName a.example\n"
        "Match host a.example\n"
        "    User matched\n"
        "Match exec \"true\"\n"
        "    Port 2500\n"
        "Match all\n"
        "    Port 2600\n"
        "    User everyone\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.port, 2600);
    EXPECT_EQ(a.user, "everyone");
}

TEST_F(SshConfigTest, KeywordSyntaxVariants) {
    std::string path = config(
        "Host a\r\n"
        "\tHOSTNAME a.example   # trailing comment\r\n"
        "  user = bob\r\n"
        "  pOrT=2022\r\n"
        "  IdentityFile \"/keys/my key\"\r\n"
        "  IdentityFile='/keys/other key'\r\n"
        "  IdentityFile /keys/back\\ slash\r\n"
        "  # a comment line\r\n"
        "  SomethingUnknown whatever\r\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.hostname, "a.example");
    EXPECT_EQ(a.user, "bob");
    EXPECT_EQ(a.port, 2022);
    EXPECT_EQ(a.identity_files,
              (std::vector<std::string>{"/keys/my key", "/keys/other key", "/keys/back slash"}));
}

TEST_F(SshConfigTest, IncludeGlobRelativeToTheConfigDirectory) {
    write("conf.d/20-b.conf", "Host b\n    HostName b.example\n");
    write("conf.d/10-a.conf", "Host a\n    HostName a.example\n    Port 2100\n");
    write("conf.d/ignored.txt", "Host ignored\n");
    write("more/c", "Host c\n    User carol\n");
    std::string path = config("Include conf.d/*.conf " + (dir_ / "more" / "c").string() +
                              " does-not-exist/*\n"
                              "Host a\n"
                              "    Port 2999\n"
                              "Host z\n");
    auto hosts = list_config_hosts(path);
    ASSERT_EQ(hosts.size(), 4u);
    EXPECT_EQ(hosts[0].alias, "a");  // glob results sorted, then later files, then the includer
    EXPECT_EQ(hosts[1].alias, "b");
    EXPECT_EQ(hosts[2].alias, "c");
    EXPECT_EQ(hosts[3].alias, "z");
    EXPECT_EQ(hosts[0].port, 2100);
    EXPECT_EQ(hosts[0].source, (dir_ / "conf.d" / "10-a.conf").string() + ":1");
    EXPECT_EQ(hosts[1].hostname, "b.example");
    EXPECT_EQ(hosts[2].user, "carol");
    EXPECT_EQ(hosts[3].hostname, "z");
}

TEST_F(SshConfigTest, NestedIncludesAreRelativeToTheTopConfigDirectory) {
    // As ssh: relative Includes are taken from ~/.ssh, whichever file contains them.
    write("conf.d/outer", "Include conf.d/inner\n");
    write("conf.d/inner", "Host deep\n    User deepuser\n");
    std::string path = config("Include conf.d/outer\n");
    auto hosts = list_config_hosts(path);
    ASSERT_EQ(hosts.size(), 1u);
    EXPECT_EQ(hosts[0].user, "deepuser");
}

TEST_F(SshConfigTest, IncludeInsideHostBlockAppliesToThatBlockOnly) {
    write("extra",
          "User fromextra\n"
          "Host hidden\n"
          "    HostName hidden.example\n");
    std::string path = config(
        "Host a\n"
        "    Include extra\n"
        "    IdentityFile /after-include\n"  // the include's Host line must not end a's block
        "Host b\n"
        "    HostName b.example\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.user, "fromextra");
    EXPECT_EQ(a.identity_files, std::vector<std::string>{"/after-include"});
    SshConfigHost b = resolve(path, "b");
    EXPECT_EQ(b.user, local_user());
    // ssh reads `extra` as never-matching for every host but a: `hidden` is unreachable.
    SshConfigHost hidden = resolve(path, "hidden");
    EXPECT_EQ(hidden.hostname, "hidden");
    auto hosts = list_config_hosts(path);
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[0].alias, "a");
    EXPECT_EQ(hosts[1].alias, "b");
}

TEST_F(SshConfigTest, IncludeLoopIsAnError) {
    std::string path = config("Include config\n");
    std::string message = error_of([&] { list_config_hosts(path); });
    EXPECT_NE(message.find("Include"), std::string::npos) << message;
}

TEST_F(SshConfigTest, PatternsWildcardsAndNegation) {
    std::string path = config(
        "Host *.cluster !login.cluster\n"
        "    User clusteruser\n"
        "    HostName %h.internal\n"
        "Host node?? \n"
        "    Port 2300\n"
        "Host !nothing\n"  // a negation alone matches nothing
        "    Port 2400\n");
    SshConfigHost gpu = resolve(path, "gpu1.cluster");
    EXPECT_EQ(gpu.user, "clusteruser");
    EXPECT_EQ(gpu.hostname, "gpu1.cluster.internal");
    EXPECT_EQ(gpu.source, path + ":1");
    SshConfigHost login = resolve(path, "login.cluster");
    EXPECT_EQ(login.user, local_user());
    EXPECT_EQ(login.hostname, "login.cluster");
    EXPECT_EQ(login.port, 22);
    EXPECT_EQ(login.source, "");
    EXPECT_EQ(resolve(path, "node12").port, 2300);
    EXPECT_EQ(resolve(path, "node1").port, 22);
    EXPECT_EQ(resolve(path, "node123").port, 22);
    EXPECT_TRUE(list_config_hosts(path).empty());
}

TEST_F(SshConfigTest, BadPortNamesPathLineAndValue) {
    std::string path = config(
        "Host a\n"
        "    HostName a.example\n"
        "Host never-used\n"
        "    Port 70000\n");
    // Checked even in a block that does not apply: ssh refuses the whole file.
    std::string message = error_of([&] { resolve_config_host(path, "a"); });
    EXPECT_NE(message.find(path + ":4"), std::string::npos) << message;
    EXPECT_NE(message.find("70000"), std::string::npos) << message;

    for (const char* bad : {"0", "abc", "22x", "-1", "65536"}) {
        path = config(std::string("Host a\n  Port ") + bad + "\n");
        message = error_of([&] { list_config_hosts(path); });
        EXPECT_NE(message.find(path + ":2"), std::string::npos) << bad << ": " << message;
        EXPECT_NE(message.find(bad), std::string::npos) << message;
    }
    path = config("Host a\n  Port 65535\n");
    EXPECT_EQ(resolve(path, "a").port, 65535);
}

TEST_F(SshConfigTest, SyntaxErrorsNamePathAndLine) {
    std::string path = config("Host a\n  HostName \"unterminated\n");
    EXPECT_NE(error_of([&] { list_config_hosts(path); }).find(path + ":2"), std::string::npos);
    path = config("Host a\n  HostName\n");
    EXPECT_NE(error_of([&] { list_config_hosts(path); }).find(path + ":2"), std::string::npos);
}

TEST_F(SshConfigTest, IdentityFileTildeAndTokens) {
    std::string home = dir_.string();
    std::string path = config(
        "Host a\n"
        "    HostName %h.example\n"
        "    User bob\n"
        "    IdentityFile ~/.ssh/id_a\n"
        "    IdentityFile %d/keys/%u-%h-%r-%n-%p%%\n"
        "    IdentityFile none\n"
        "    IdentityFile ~/.ssh/id_a\n"  // registered once, as ssh does
        "Host *\n"
        "    IdentityFile ~/.ssh/id_common\n");  // IdentityFile adds up across blocks
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.hostname, "a.example");
    EXPECT_EQ(a.identity_files,
              (std::vector<std::string>{home + "/.ssh/id_a",
                                        home + "/keys/" + local_user() + "-a.example-bob-a-22%",
                                        home + "/.ssh/id_common"}));
}

TEST_F(SshConfigTest, ProxyJumpVerbatimAndFirstProxyWins) {
    std::string path = config(
        "Host a\n"
        "    ProxyJump bob@jump.example:2222,alice@second\n"
        "Host b\n"
        "    ProxyCommand ssh -W %h:%p gateway\n"
        "Host *\n"
        "    ProxyJump everyone@jump\n");
    SshConfigHost a = resolve(path, "a");
    EXPECT_EQ(a.proxy_jump, "bob@jump.example:2222,alice@second");
    EXPECT_EQ(a.proxy_command, "");
    SshConfigHost b = resolve(path, "b");
    EXPECT_EQ(b.proxy_jump, "");
    EXPECT_EQ(b.proxy_command, "ssh -W %h:%p gateway");
    EXPECT_EQ(resolve(path, "c").proxy_jump, "everyone@jump");
}

TEST_F(SshConfigTest, AnyNameResolvesWithDefaults) {
    std::string path = config("Host *\n    User everyone\n");
    SshConfigHost other = resolve(path, "unlisted.example");
    EXPECT_EQ(other.hostname, "unlisted.example");
    EXPECT_EQ(other.user, "everyone");
    EXPECT_EQ(other.port, 22);
    EXPECT_EQ(other.source, path + ":1");
    EXPECT_TRUE(list_config_hosts(path).empty());
}

TEST_F(SshConfigTest, DefaultPathIsUnderHome) {
    EXPECT_EQ(default_ssh_config_path(), dir_.string() + "/.ssh/config");
}

}  // namespace
}  // namespace lathe::remote::hosts
