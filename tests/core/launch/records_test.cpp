#include "core/launch/records.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/test_support.h"

namespace lathe::core::launch {
namespace {

TEST(Records, MissingFilesAreNullopt) {
    const auto dir = tests::temp_dir("launch-records-missing").string();
    EXPECT_FALSE(read_exit_record(dir).has_value());
    EXPECT_FALSE(read_supervisor_record(dir).has_value());
}

TEST(Records, RoundTrip) {
    const auto dir = tests::temp_dir("launch-records-roundtrip").string();
    SupervisorRecord s;
    s.supervisor_pid = 10;
    s.supervisor_start_ticks = 123;
    s.trainer_pid = 11;
    s.trainer_start_ticks = 124;
    s.boot_id = "b";
    s.started_at_unix_s = 1.5;
    s.command = {"/bin/x", "y"};
    write_supervisor_record(dir, s);
    const auto s2 = read_supervisor_record(dir);
    ASSERT_TRUE(s2);
    EXPECT_EQ(s2->trainer_pid, 11);
    EXPECT_EQ(s2->trainer_start_ticks, 124u);
    EXPECT_EQ(s2->command, s.command);
    EXPECT_DOUBLE_EQ(s2->started_at_unix_s, 1.5);

    ExitRecord e;
    e.trainer_pid = 11;
    e.signal = 9;
    e.signal_name = "SIGKILL";
    e.description = "killed";
    write_exit_record(dir, e);
    const auto e2 = read_exit_record(dir);
    ASSERT_TRUE(e2);
    EXPECT_FALSE(e2->exit_code);
    EXPECT_EQ(e2->signal, 9);
    EXPECT_EQ(e2->signal_name, "SIGKILL");
    const auto j = nlohmann::json::parse(util::read_file(dir + "/lathe-train.exit.json"));
    EXPECT_TRUE(j.at("exit_code").is_null());
}

TEST(Records, MalformedRecordNamesTheFile) {
    const auto dir = tests::temp_dir("launch-records-bad").string();
    std::ofstream(dir + "/lathe-train.exit.json") << "{\"trainer_pid\": 1";
    try {
        read_exit_record(dir);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(dir + "/lathe-train.exit.json"), std::string::npos)
            << e.what();
    }
    std::ofstream(dir + "/supervisor.json") << R"({"supervisor_pid": "x"})";
    try {
        read_supervisor_record(dir);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("supervisor.json: field \"supervisor_pid\""),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace lathe::core::launch
