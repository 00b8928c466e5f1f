// Sessions against a real OpenSSH sshd on 127.0.0.1: commands, host keys, authentication,
// timeouts.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "remote/ssh/session.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"
#include "tests/remote/support/sshd_server.h"

namespace lathe::remote::ssh {
namespace {

using lathe::tests::SshdServer;

SshTarget target_for(const SshdServer& server) {
    return server.target();
}

// The remote login shell may print its own noise on stderr first (a developer's .bashrc); what
// the command wrote comes last.
bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <typename F>
SshError expect_ssh_error(F&& f) {
    try {
        f();
    } catch (const SshError& e) {
        return e;
    }
    ADD_FAILURE() << "no SshError thrown";
    return SshError(SshError::Kind::remote_failure, "");
}

class SessionTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { server_ = new SshdServer("session"); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static SshdServer* server_;
};
SshdServer* SessionTest::server_ = nullptr;

TEST_F(SessionTest, RunsCommandsWithOutputErrorsAndExitStatus) {
    auto session = Session::connect(target_for(*server_));
    const CommandResult r = session->run("echo out; echo err >&2; exit 3");
    EXPECT_EQ(r.out, "out\n");
    EXPECT_TRUE(ends_with(r.err, "err\n")) << r.err;
    EXPECT_EQ(r.exit_status, 3);
    EXPECT_EQ(session->run("cat", 10000, "line one\nline two").out, "line one\nline two");
    EXPECT_FALSE(session->home().empty());
    EXPECT_NE(session->label().find(std::to_string(server_->port())), std::string::npos);
    const SshError e =
        expect_ssh_error([&] { session->run_checked("echo broken >&2; exit 4", "do a thing"); });
    EXPECT_EQ(e.kind(), SshError::Kind::remote_failure);
    EXPECT_NE(std::string(e.what()).find("cannot do a thing: exit status 4: broken"),
              std::string::npos)
        << e.what();
}

TEST_F(SessionTest, LargeOutputArrivesWhole) {
    auto session = Session::connect(target_for(*server_));
    const CommandResult r = session->run("head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2");
    EXPECT_EQ(r.out.size(), 3000000u);
    EXPECT_TRUE(ends_with(r.err, "done\n")) << r.err;
}

// Every remote command line goes through shell_quote: hostile names must reach the program
// byte for byte, and nothing they spell may run.
TEST_F(SessionTest, HostileNamesReachTheRemoteProgramVerbatim) {
    auto session = Session::connect(target_for(*server_));
    const auto dir = server_->dir() / "hostile";
    std::filesystem::create_directories(dir);
    const std::vector<std::string> names = {
        "with space",     "it's",      "double\"quote", "$(touch PWNED1)", "`touch PWNED2`",
        "; touch PWNED3", "new\nline", "back\\slash",   "-dash",           "ünïcödé 名前",
        "$HOME",          "*",         "a|b&c>d<e",     "tab\there",       "'",
    };
    for (const auto& name : names) {
        session->run_checked(shell_command({"touch", (dir / name).string()}), "touch");
        EXPECT_EQ(session->run_checked(shell_command({"printf", "%s", name}), "printf"), name);
    }
    std::set<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        found.insert(entry.path().filename().string());
    }
    EXPECT_EQ(found, std::set<std::string>(names.begin(), names.end()));
    for (const char* canary : {"PWNED1", "PWNED2", "PWNED3"}) {
        EXPECT_FALSE(std::filesystem::exists(dir / canary));
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(session->home()) / canary));
    }
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_THROW(shell_quote(std::string("a\0b", 3)), core::Error);
}

TEST_F(SessionTest, UnknownHostIsRefusedWithItsFingerprintUntilAccepted) {
    SshTarget target = target_for(*server_);
    const auto known = server_->dir() / "fresh" / "known_hosts";  // folder does not exist yet
    target.known_hosts_path = known.string();
    const SshError refused = expect_ssh_error([&] { Session::connect(target); });
    EXPECT_EQ(refused.kind(), SshError::Kind::host_key_unknown);
    EXPECT_NE(std::string(refused.what()).find(server_->host_key_fingerprint()), std::string::npos)
        << refused.what();

    std::string asked_fingerprint;
    Prompts prompts;
    prompts.accept_new_host = [&](const std::string&, const std::string& fingerprint) {
        asked_fingerprint = fingerprint;
        return true;
    };
    Session::connect(target, prompts);
    EXPECT_EQ(asked_fingerprint, server_->host_key_fingerprint());
    // Recorded: the next connection needs no question.
    EXPECT_NO_THROW(Session::connect(target));
}

TEST_F(SessionTest, WrongKeyIsRefusedWithAClearMessage) {
    const auto other = server_->dir() / "other_key";
    lathe::tests::shell_output("ssh-keygen -q -t ed25519 -N '' -f '" + other.string() + "'");
    SshTarget target = target_for(*server_);
    target.identity_files = {other.string()};
    const SshError e = expect_ssh_error([&] { Session::connect(target); });
    EXPECT_EQ(e.kind(), SshError::Kind::auth_failed);
    const std::string message = e.what();
    EXPECT_NE(message.find("authentication refused"), std::string::npos) << message;
    EXPECT_NE(message.find(other.string()), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
}

TEST_F(SessionTest, EncryptedKeyAsksItsPassphraseThroughTheCallback) {
    const auto key = server_->dir() / "encrypted_key";
    lathe::tests::shell_output("ssh-keygen -q -t ed25519 -N 'sesame' -f '" + key.string() + "'");
    lathe::tests::shell_output("cat '" + key.string() + ".pub' >> '" +
                               (server_->dir() / "authorized_keys").string() + "'");
    SshTarget target = target_for(*server_);
    target.identity_files = {key.string()};
    std::string asked_for;
    Prompts prompts;
    prompts.passphrase = [&](const std::string& path) -> std::optional<std::string> {
        asked_for = path;
        return std::string("sesame");
    };
    EXPECT_NO_THROW(Session::connect(target, prompts));
    EXPECT_EQ(asked_for, key.string());

    prompts.passphrase = [](const std::string&) -> std::optional<std::string> {
        return std::string("wrong");
    };
    const SshError e = expect_ssh_error([&] { Session::connect(target, prompts); });
    EXPECT_EQ(e.kind(), SshError::Kind::auth_failed);
    EXPECT_NE(std::string(e.what()).find("wrong or no passphrase"), std::string::npos) << e.what();
}

TEST_F(SessionTest, ChangedHostKeyIsRefusedAsASecurityError) {
    SshdServer server("changed-key");
    EXPECT_NO_THROW(Session::connect(target_for(server)));
    server.change_host_key();
    Prompts prompts;
    bool asked = false;
    prompts.accept_new_host = [&](const std::string&, const std::string&) { return asked = true; };
    const SshError e = expect_ssh_error([&] { Session::connect(target_for(server), prompts); });
    EXPECT_EQ(e.kind(), SshError::Kind::host_key_changed);
    EXPECT_FALSE(asked) << "a changed key must never be offered for acceptance";
    const std::string message = e.what();
    EXPECT_NE(message.find("CHANGED"), std::string::npos) << message;
    EXPECT_NE(message.find(server.host_key_fingerprint()), std::string::npos) << message;
}

TEST(SessionTimeouts, SilentHostTimesOutWithAClearMessage) {
    lathe::tests::SilentListener silent;
    SshTarget target;
    target.host = "127.0.0.1";
    target.port = silent.port();
    target.ssh_config_path = "none";
    target.connect_timeout_ms = 1000;
    const auto start = std::chrono::steady_clock::now();
    const SshError e = expect_ssh_error([&] { Session::connect(target); });
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(e.kind(), SshError::Kind::timeout) << e.what();
    EXPECT_LT(elapsed, std::chrono::seconds(5));
    const std::string message = e.what();
    EXPECT_NE(message.find("no answer within 1000 ms"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(silent.port())), std::string::npos)
        << message;
}

TEST(SessionTimeouts, ClosedPortIsUnreachable) {
    int port = 0;
    {
        lathe::tests::SilentListener probe;
        port = probe.port();
    }  // now closed
    SshTarget target;
    target.host = "127.0.0.1";
    target.port = port;
    target.ssh_config_path = "none";
    const SshError e = expect_ssh_error([&] { Session::connect(target); });
    EXPECT_EQ(e.kind(), SshError::Kind::unreachable) << e.what();
    EXPECT_TRUE(e.transient());
}

}  // namespace
}  // namespace lathe::remote::ssh
