#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/safetensors/checkpoint.h"
#include "core/safetensors/writer.h"
#include "core/util/file_io.h"
#include "tests/core/safetensors/safetensors_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::safetensors {
namespace {

namespace fs = std::filesystem;

std::string open_error(const fs::path& dir) {
    try {
        Checkpoint::open_dir(dir.string());
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "open_dir accepted " << dir;
    return {};
}

// A two-shard checkpoint of tensors "a" (shard 1) and "b" (shard 2).
fs::path make_sharded(const std::string& name) {
    static const float data[4] = {1, 2, 3, 4};
    const auto dir = tests::temp_dir(name);
    write_sharded(dir.string(),
                  {{"a", DType::F32, {2}, data, 8}, {"b", DType::F32, {2}, data + 2, 8}}, 8);
    return dir;
}

void write_index(const fs::path& dir, const std::string& text) {
    util::write_file_atomic((dir / "model.safetensors.index.json").string(), text);
}

void expect_contains(const std::string& message, const std::vector<std::string>& parts) {
    for (const auto& part : parts) {
        EXPECT_NE(message.find(part), std::string::npos)
            << "\"" << part << "\" not in: " << message;
    }
}

TEST(safetensors_checkpoint, OpensShardedAndSingle) {
    const auto dir = make_sharded("ckpt-ok");
    const Checkpoint sharded = Checkpoint::open_dir(dir.string());
    EXPECT_EQ(sharded.names(), (std::vector<std::string>{"a", "b"}));
    EXPECT_NE(sharded.file_of("a").path(), sharded.file_of("b").path());
    float b0 = 0;
    std::memcpy(&b0, sharded.file_of("b").data(sharded.info("b")), 4);
    EXPECT_EQ(b0, 3.0f);

    // A model.safetensors next to an index wins, as in transformers.
    const float one = 1.0f;
    write_file((dir / "model.safetensors").string(), {{"only", DType::F32, {1}, &one, 4}});
    const Checkpoint single = Checkpoint::open_dir(dir.string());
    EXPECT_EQ(single.names(), std::vector<std::string>{"only"});
    EXPECT_TRUE(single.contains("only"));
    EXPECT_FALSE(single.contains("a"));
}

TEST(safetensors_checkpoint, MissingTensorIsNamed) {
    const auto dir = make_sharded("ckpt-missing-tensor");
    const Checkpoint checkpoint = Checkpoint::open_dir(dir.string());
    try {
        checkpoint.info("lm_head.weight");
        FAIL();
    } catch (const Error& e) {
        expect_contains(e.what(), {"\"lm_head.weight\"", dir.string()});
    }
    EXPECT_THROW(checkpoint.file_of("lm_head.weight"), Error);
}

TEST(safetensors_checkpoint, FolderWithoutWeights) {
    const auto dir = tests::temp_dir("ckpt-empty");
    expect_contains(open_error(dir), {dir.string(), "model.safetensors"});
    expect_contains(open_error(dir / "nope"), {(dir / "nope").string()});
}

TEST(safetensors_checkpoint, IndexErrorsNameIndexTensorAndShard) {
    const auto dir = make_sharded("ckpt-index");
    const std::string index = (dir / "model.safetensors.index.json").string();
    const std::string shard1 = "model-00001-of-00002.safetensors";
    struct Case {
        std::string text;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {"{\"weight_map\": {", {index, "invalid JSON"}},
        {"[]", {index, "object"}},
        {"{\"metadata\": {}}", {index, "weight_map"}},
        {"{\"weight_map\": []}", {index, "weight_map"}},
        {"{\"weight_map\": {\"a\": 1}}", {index, "\"a\""}},
        {"{\"weight_map\": {\"a\": \"" + shard1 + "\", \"a\": \"" + shard1 + "\"}}",
         {index, "duplicate key \"a\""}},
        {"{\"weight_map\": {\"a\": \"gone.safetensors\"}}",
         {index, "\"a\"", "\"gone.safetensors\"", "does not exist"}},
        {"{\"weight_map\": {\"a\": \"../x.safetensors\"}}",
         {index, "\"a\"", "\"../x.safetensors\"", "plain file name"}},
        {"{\"weight_map\": {\"b\": \"" + shard1 + "\"}}",
         {index, "\"b\"", "\"" + shard1 + "\"", "no such tensor"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        write_index(dir, c.text);
        expect_contains(open_error(dir), c.parts);
    }
}

TEST(safetensors_checkpoint, CorruptShardIsNamed) {
    const auto dir = make_sharded("ckpt-corrupt");
    const std::string shard2 = "model-00002-of-00002.safetensors";
    auto bytes = tests::read_bytes((dir / shard2).string());
    bytes.pop_back();
    tests::write_bytes((dir / shard2).string(), bytes);
    expect_contains(open_error(dir), {(dir / "model.safetensors.index.json").string(),
                                      "\"" + shard2 + "\"", "\"b\"", "truncated"});
}

}  // namespace
}  // namespace lathe::core::safetensors
