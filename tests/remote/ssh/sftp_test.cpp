// SFTP and transfers against a real sshd: atomic writes, hash-checked uploads that skip
// unchanged files, pipelined downloads that resume after a cut connection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/util/file_io.h"
#include "core/util/sha256.h"
#include "remote/ssh/session.h"
#include "remote/ssh/sftp_client.h"
#include "remote/ssh/ssh_error.h"
#include "remote/ssh/transfer.h"
#include "tests/remote/support/sshd_server.h"

namespace lathe::remote::ssh {
namespace {

namespace fs = std::filesystem;
using lathe::tests::SshdServer;

SshTarget target_for(const SshdServer& server) {
    return server.target();
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (auto& c : out) {
        c = static_cast<char>(rng() & 0xff);
    }
    return out;
}

std::string slurp(const fs::path& path) {
    return core::util::read_file(path.string());
}

void write(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

class SftpTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { server_ = new SshdServer("sftp"); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        session_ = Session::connect(target_for(*server_));
        sftp_ = std::make_unique<SftpClient>(*session_);
        dir_ = server_->dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
        fs::create_directories(dir_);
    }
    static SshdServer* server_;
    std::unique_ptr<Session> session_;
    std::unique_ptr<SftpClient> sftp_;
    fs::path dir_;
};
SshdServer* SftpTest::server_ = nullptr;

TEST_F(SftpTest, StatReadWriteListAndRename) {
    const std::string file = (dir_ / "a file's name").string();
    EXPECT_FALSE(sftp_->stat(file).has_value());
    sftp_->write_file_atomic(file, "hello, node\n");
    EXPECT_EQ(slurp(file), "hello, node\n");
    EXPECT_FALSE(fs::exists(file + ".lathe-part"));
    EXPECT_EQ(sftp_->stat(file)->bytes, 12u);
    EXPECT_EQ(sftp_->read_range(file, 7, 4), "node");
    EXPECT_EQ(sftp_->read_range(file, 100, 4), "");
    sftp_->write_file_atomic(file, "replaced");  // over an existing file
    EXPECT_EQ(sftp_->read_file(file), "replaced");

    const std::string nested = (dir_ / "x y" / "$(z)" / "deep").string();
    sftp_->mkdir_p(nested);
    EXPECT_TRUE(fs::is_directory(nested));
    sftp_->mkdir_p(nested);  // already there: fine
    const auto entries = sftp_->list(dir_.string());
    EXPECT_EQ(entries.size(), 2u);

    sftp_->rename(file, (dir_ / "renamed").string());
    EXPECT_TRUE(fs::exists(dir_ / "renamed"));
    sftp_->remove((dir_ / "renamed").string());
    sftp_->remove((dir_ / "renamed").string());  // absent: no error
    EXPECT_FALSE(fs::exists(dir_ / "renamed"));

    try {
        sftp_->read_file((dir_ / "missing").string());
        FAIL() << "no error for a missing file";
    } catch (const SshError& e) {
        EXPECT_EQ(e.kind(), SshError::Kind::remote_failure);
        EXPECT_NE(std::string(e.what()).find("missing: no such file"), std::string::npos)
            << e.what();
    }
}

TEST_F(SftpTest, UploadSkipsTheSameContentAndReplacesChangedContent) {
    const fs::path local = dir_ / "local.txt";
    write(local, random_bytes(300000, 1));
    const std::string remote = (dir_ / "remote.txt").string();
    const TransferResult first = upload_if_changed(*sftp_, local.string(), remote);
    EXPECT_TRUE(first.transferred);
    EXPECT_EQ(first.bytes_sent, 300000u);
    EXPECT_EQ(slurp(remote), slurp(local));
    EXPECT_EQ(first.sha256, core::util::sha256_file_hex(remote));

    const TransferResult again = upload_if_changed(*sftp_, local.string(), remote);
    EXPECT_FALSE(again.transferred);
    EXPECT_EQ(again.bytes_sent, 0u);

    std::string changed = slurp(local);
    changed[1000] ^= 1;  // same size, other content
    write(local, changed);
    EXPECT_TRUE(upload_if_changed(*sftp_, local.string(), remote).transferred);
    EXPECT_EQ(slurp(remote), changed);
}

TEST_F(SftpTest, DownloadIsExactAndResumesFromAPartialFile) {
    const std::string content = random_bytes(5'000'000, 2);
    write(dir_ / "remote.bin", content);
    const std::string local = (dir_ / "local.bin").string();
    const TransferResult whole = download_resumable(*sftp_, (dir_ / "remote.bin").string(), local);
    EXPECT_EQ(whole.bytes, content.size());
    EXPECT_EQ(slurp(local), content);

    // A part file from an interrupted download: only the rest crosses the network.
    fs::remove(local);
    write(local + ".lathe-part", content.substr(0, 1'000'000));
    const TransferResult resumed =
        download_resumable(*sftp_, (dir_ / "remote.bin").string(), local);
    EXPECT_EQ(resumed.resumed_from, 1'000'000u);
    EXPECT_EQ(resumed.bytes_sent, content.size() - 1'000'000u);
    EXPECT_EQ(slurp(local), content);
    EXPECT_FALSE(fs::exists(local + ".lathe-part"));

    // A part that does not belong to this file is caught by the hash and thrown away.
    fs::remove(local);
    write(local + ".lathe-part", std::string(1'000'000, 'x'));
    EXPECT_THROW(download_resumable(*sftp_, (dir_ / "remote.bin").string(), local), SshError);
    EXPECT_FALSE(fs::exists(local + ".lathe-part"));
    EXPECT_FALSE(fs::exists(local));
    download_resumable(*sftp_, (dir_ / "remote.bin").string(), local);
    EXPECT_EQ(slurp(local), content);
}

TEST_F(SftpTest, DownloadCutByADroppedConnectionResumesOnTheNextOne) {
    const std::string content = random_bytes(20'000'000, 3);
    write(dir_ / "big.bin", content);
    const std::string local = (dir_ / "big-local.bin").string();
    bool cut = false;
    try {
        download_resumable(*sftp_, (dir_ / "big.bin").string(), local,
                           [&](std::uint64_t done, std::uint64_t) {
                               if (!cut && done > 4'000'000) {
                                   cut = true;
                                   server_->kill_connections();
                               }
                           });
        FAIL() << "the download survived a killed connection";
    } catch (const SshError& e) {
        EXPECT_EQ(e.kind(), SshError::Kind::disconnected) << e.what();
    }
    ASSERT_TRUE(fs::exists(local + ".lathe-part"));
    sftp_.reset();
    session_ = Session::connect(target_for(*server_));
    sftp_ = std::make_unique<SftpClient>(*session_);
    const TransferResult resumed = download_resumable(*sftp_, (dir_ / "big.bin").string(), local);
    EXPECT_GT(resumed.resumed_from, 4'000'000u);
    EXPECT_EQ(slurp(local), content);
}

}  // namespace
}  // namespace lathe::remote::ssh
