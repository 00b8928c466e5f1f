#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/safetensors/checkpoint.h"
#include "core/safetensors/file.h"
#include "core/safetensors/writer.h"
#include "core/util/file_io.h"
#include "tests/core/safetensors/safetensors_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::safetensors {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<TensorRef> refs_of(const File& file) {
    std::vector<TensorRef> refs;
    for (const auto& t : file.header().tensors) {
        refs.push_back({t.name, t.dtype, t.shape, file.data(t), t.size_bytes()});
    }
    return refs;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an Error";
    return {};
}

std::vector<std::string> list_dir(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(safetensors_write, ByteIdenticalToPythonForEveryDtype) {
    const std::string fixture = tests::fixture("safetensors/all_dtypes.safetensors");
    const File file = File::open(fixture);
    auto refs = refs_of(file);
    // The input order must not matter: the writer sorts as Python does.
    std::mt19937 rng(7);
    std::shuffle(refs.begin(), refs.end(), rng);

    const auto path = (tests::temp_dir("write-identical") / "out.safetensors").string();
    write_file(path, refs, file.header().metadata);
    EXPECT_EQ(tests::read_bytes(path), tests::read_bytes(fixture));
    EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(safetensors_write, RoundTrip) {
    const auto dir = tests::temp_dir("write-roundtrip");
    std::vector<float> f32 = {1.0f, -2.5f, 3.25f, 0.0f, 7.0f, -8.0f};
    std::vector<std::int64_t> i64 = {-1, 1LL << 40, 3};
    std::vector<std::uint16_t> bf16 = {0x3F80, 0xC000};
    std::uint8_t flags[3] = {1, 0, 1};
    float scalar = 42.0f;
    const std::vector<TensorRef> refs = {
        {"layer.0.weight", DType::F32, {2, 3}, f32.data(), f32.size() * 4},
        {"positions", DType::I64, {3}, i64.data(), i64.size() * 8},
        {"norm", DType::BF16, {2}, bf16.data(), 4},
        {"mask", DType::Bool, {3}, flags, 3},
        {"scale", DType::F32, {}, &scalar, 4},
        {"nothing", DType::F16, {0, 5}, nullptr, 0},
    };
    const auto path = (dir / "m.safetensors").string();
    write_file(path, refs, {{"format", "pt"}, {"lathe", "1"}});

    const File file = File::open(path);
    EXPECT_EQ(file.header().metadata,
              (std::map<std::string, std::string>{{"format", "pt"}, {"lathe", "1"}}));
    EXPECT_EQ(file.header().data_start % 8, 0u);
    ASSERT_EQ(file.header().tensors.size(), refs.size());
    for (const auto& ref : refs) {
        SCOPED_TRACE(ref.name);
        const TensorInfo* t = file.header().find(ref.name);
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(t->dtype, ref.dtype);
        EXPECT_EQ(t->shape, ref.shape);
        ASSERT_EQ(t->size_bytes(), ref.size_bytes);
        if (ref.size_bytes > 0) {
            EXPECT_EQ(std::memcmp(file.data(*t), ref.data, ref.size_bytes), 0);
        }
    }
    // Widest dtype first, then by name: I64 "positions", F32 "layer.0.weight", F32 "scale", ...
    EXPECT_EQ(file.header().tensors[0].name, "positions");
    EXPECT_EQ(file.header().tensors[1].name, "layer.0.weight");
}

TEST(safetensors_write, EscapesNamesLikePython) {
    // Header bytes of safetensors 0.4.5 serialize() for the same tensors and metadata.
    const std::string python_header =
        "{\"__metadata__\":{\"a\":\"b\",\"k\\n\\t\\b\\f\\r\":\"v\xc3\xa9\"},"
        "\"\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
        "\"a\\\"\\\\/\\u0001\\u001f\x7f\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\":"
        "{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}     ";
    ASSERT_EQ(python_header.size(), 184u);
    const float zero = 0.0f;
    const std::string odd_name = "a\"\\/\x01\x1f\x7f\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8";
    const auto path = (tests::temp_dir("write-escape") / "e.safetensors").string();
    write_file(path, {{odd_name, DType::F32, {}, &zero, 4}, {"", DType::F32, {0, 3}, nullptr, 0}},
               {{"k\n\t\b\f\r", "v\xc3\xa9"}, {"a", "b"}});
    const auto expected = tests::make_image(python_header, std::string(4, '\0'));
    EXPECT_EQ(tests::read_bytes(path), expected);

    const File file = File::open(path);
    EXPECT_NE(file.header().find(odd_name), nullptr);
    EXPECT_NE(file.header().find(""), nullptr);
    EXPECT_EQ(file.header().metadata.at("k\n\t\b\f\r"), "v\xc3\xa9");
}

TEST(safetensors_write, EmptyMetadataAndNoTensorsMatchPython) {
    const auto path = (tests::temp_dir("write-empty") / "e.safetensors").string();
    write_file(path, {}, {});
    // safetensors.serialize({}, metadata=None)
    EXPECT_EQ(tests::read_bytes(path), tests::make_image("{}      ", ""));
    const File file = File::open(path);
    EXPECT_TRUE(file.header().tensors.empty());
    EXPECT_TRUE(file.header().metadata.empty());

    const float one = 1.0f;
    write_file(path, {{"x", DType::F32, {1}, &one, 4}}, {});
    // safetensors.serialize({"x": ...}, metadata=None)
    EXPECT_EQ(
        tests::read_bytes(path),
        tests::make_image("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}  ",
                          std::string("\x00\x00\x80\x3f", 4)));
}

TEST(safetensors_write, RejectsBadTensorsAndLeavesNoFile) {
    const auto dir = tests::temp_dir("write-invalid");
    const auto path = (dir / "bad.safetensors").string();
    const float data[4] = {};
    struct Case {
        std::vector<TensorRef> tensors;
        std::string tensor;
        std::string what;
    };
    const std::vector<Case> cases = {
        {{{"w", DType::F32, {2, 2}, data, 12}}, "w", "size_bytes 12"},
        {{{"w", DType::F32, {-1, 2}, data, 8}}, "w", "negative"},
        {{{"w", DType::F32, {1LL << 62, 1LL << 62}, data, 16}}, "w", "overflows"},
        {{{"w", DType::F64, {1LL << 62}, data, 16}}, "w", "overflows"},
        {{{"w", DType::F32, {1}, nullptr, 4}}, "w", "null"},
        {{{"w", DType::F32, {1}, data, 4}, {"w", DType::F32, {1}, data, 4}}, "w", "duplicate"},
        {{{"bad\xff", DType::F32, {1}, data, 4}}, "bad", "UTF-8"},
        {{{"__metadata__", DType::F32, {1}, data, 4}}, "__metadata__", "reserved"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const std::string message = error_of([&] { write_file(path, c.tensors); });
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find("tensor \"" + c.tensor), std::string::npos) << message;
        EXPECT_NE(message.find(c.what), std::string::npos) << message;
    }
    EXPECT_TRUE(list_dir(dir).empty());
}

TEST(safetensors_write, OverwritesAtomically) {
    const auto dir = tests::temp_dir("write-overwrite");
    const auto path = (dir / "m.safetensors").string();
    const float a = 1.0f;
    const double b = 2.0;
    write_file(path, {{"a", DType::F32, {1}, &a, 4}});
    write_file(path, {{"b", DType::F64, {1}, &b, 8}});
    const File file = File::open(path);
    ASSERT_EQ(file.header().tensors.size(), 1u);
    EXPECT_EQ(file.header().tensors[0].name, "b");
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"m.safetensors"});
}

TEST(safetensors_write_sharded, ByteIdenticalToTransformersSavePretrained) {
    const std::string fixture_dir = tests::fixture("safetensors/sharded");
    const Checkpoint checkpoint = Checkpoint::open_dir(fixture_dir);
    const json expected =
        json::parse(util::read_file(tests::fixture("safetensors/sharded.expected.json")));
    std::vector<TensorRef> refs;
    for (const auto& name : expected["order"]) {  // state_dict order decides the shards
        const TensorInfo& t = checkpoint.info(name);
        refs.push_back(
            {t.name, t.dtype, t.shape, checkpoint.file_of(name).data(t), t.size_bytes()});
    }
    const auto dir = tests::temp_dir("sharded-identical");
    const auto written =
        write_sharded(dir.string(), refs, expected["max_shard_size"].get<std::uint64_t>());
    const std::vector<std::string> files = {
        "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors", "model.safetensors.index.json"};
    EXPECT_EQ(written, files);
    EXPECT_EQ(list_dir(dir), files);
    for (const auto& name : files) {
        EXPECT_EQ(tests::read_bytes((dir / name).string()),
                  tests::read_bytes((fs::path(fixture_dir) / name).string()))
            << name;
    }
}

struct RandomModel {
    std::vector<std::vector<std::uint8_t>> storage;
    std::vector<TensorRef> refs;

    void add(const std::string& name, DType dtype, std::vector<std::int64_t> shape,
             std::mt19937& rng) {
        std::int64_t numel = 1;
        for (auto d : shape)
            numel *= d;
        storage.emplace_back(static_cast<std::size_t>(numel) * dtype_size_bytes(dtype));
        for (auto& byte : storage.back())
            byte = static_cast<std::uint8_t>(rng());
        refs.push_back(
            {name, dtype, std::move(shape), storage.back().data(), storage.back().size()});
    }
};

void expect_checkpoint_holds(const std::string& dir, const RandomModel& model) {
    const Checkpoint checkpoint = Checkpoint::open_dir(dir);
    std::vector<std::string> names;
    for (const auto& ref : model.refs)
        names.push_back(ref.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(checkpoint.names(), names);
    for (const auto& ref : model.refs) {
        SCOPED_TRACE(ref.name);
        const TensorInfo& t = checkpoint.info(ref.name);
        EXPECT_EQ(t.dtype, ref.dtype);
        EXPECT_EQ(t.shape, ref.shape);
        ASSERT_EQ(t.size_bytes(), ref.size_bytes);
        EXPECT_EQ(std::memcmp(checkpoint.file_of(ref.name).data(t), ref.data, ref.size_bytes), 0);
    }
}

TEST(safetensors_write_sharded, RoundTripWithSmallShards) {
    std::mt19937 rng(1);
    RandomModel model;
    model.storage.reserve(16);
    model.add("embed.weight", DType::BF16, {10, 4}, rng);   // 80
    model.add("layers.0.w", DType::F32, {4, 4}, rng);       // 64
    model.add("layers.0.b", DType::F32, {4}, rng);          // 16
    model.add("layers.1.w", DType::F16, {4, 4}, rng);       // 32
    model.add("layers.1.steps", DType::I64, {2}, rng);      // 16
    model.add("lm_head.weight", DType::F32, {10, 4}, rng);  // 160: above the limit
    model.add("norm", DType::U8, {3}, rng);                 // 3
    const auto dir = tests::temp_dir("sharded-roundtrip");
    const auto written = write_sharded(dir.string(), model.refs, 100);
    // [embed] 80 | [layers.0.w, layers.0.b] 80 | [lm_head] 160, a shard of its own appended
    // while [layers.1.w, ...] is still open | [layers.1.w, layers.1.steps, norm] 51.
    ASSERT_EQ(written.size(), 5u);
    const json index =
        json::parse(util::read_file((dir / "model.safetensors.index.json").string()));
    EXPECT_EQ(index["metadata"]["total_size"], 371);
    const auto& map = index["weight_map"];
    EXPECT_EQ(map["embed.weight"], "model-00001-of-00004.safetensors");
    EXPECT_EQ(map["layers.0.w"], "model-00002-of-00004.safetensors");
    EXPECT_EQ(map["layers.0.b"], "model-00002-of-00004.safetensors");
    EXPECT_EQ(map["lm_head.weight"], "model-00003-of-00004.safetensors");
    EXPECT_EQ(map["layers.1.w"], "model-00004-of-00004.safetensors");
    EXPECT_EQ(map["norm"], "model-00004-of-00004.safetensors");
    expect_checkpoint_holds(dir.string(), model);
    const File shard = File::open((dir / "model-00004-of-00004.safetensors").string());
    EXPECT_EQ(shard.header().metadata.at("format"), "pt");
}

TEST(safetensors_write_sharded, TensorExactlyAtTheLimitAndSingleFile) {
    std::mt19937 rng(2);
    RandomModel model;
    model.storage.reserve(4);
    model.add("a", DType::F32, {25}, rng);  // exactly 100
    model.add("b", DType::U8, {0}, rng);    // empty: joins the current shard
    model.add("c", DType::U8, {1}, rng);
    const auto dir = tests::temp_dir("sharded-limit");
    EXPECT_EQ(write_sharded(dir.string(), model.refs, 100),
              (std::vector<std::string>{"model-00001-of-00002.safetensors",
                                        "model-00002-of-00002.safetensors",
                                        "model.safetensors.index.json"}));
    expect_checkpoint_holds(dir.string(), model);
    const json index =
        json::parse(util::read_file((dir / "model.safetensors.index.json").string()));
    EXPECT_EQ(index["weight_map"]["b"], "model-00001-of-00002.safetensors");

    EXPECT_EQ(write_sharded(dir.string(), model.refs, 101),
              std::vector<std::string>{"model.safetensors"});
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"model.safetensors"});
    expect_checkpoint_holds(dir.string(), model);
}

TEST(safetensors_write_sharded, RemovesStaleFilesOfAPreviousSave) {
    std::mt19937 rng(3);
    RandomModel model;
    model.storage.reserve(4);
    for (int i = 0; i < 4; ++i)
        model.add("t" + std::to_string(i), DType::F32, {10}, rng);
    const auto dir = tests::temp_dir("sharded-stale");
    util::write_file_atomic((dir / "config.json").string(), "{}");
    util::write_file_atomic((dir / "model_ema.safetensors").string(), "keep");
    util::write_file_atomic((dir / "model-00009-of-00009.safetensors").string(), "stale");

    EXPECT_EQ(write_sharded(dir.string(), model.refs, 40).size(), 5u);
    EXPECT_EQ(list_dir(dir).size(), 7u);  // 4 shards, index, config.json, model_ema
    EXPECT_FALSE(fs::exists(dir / "model-00009-of-00009.safetensors"));

    EXPECT_EQ(write_sharded(dir.string(), model.refs, 80).size(), 3u);
    EXPECT_EQ(list_dir(dir),
              (std::vector<std::string>{"config.json", "model-00001-of-00002.safetensors",
                                        "model-00002-of-00002.safetensors",
                                        "model.safetensors.index.json", "model_ema.safetensors"}));
    expect_checkpoint_holds(dir.string(), model);

    write_sharded(dir.string(), model.refs, 1000);
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"config.json", "model.safetensors",
                                                       "model_ema.safetensors"}));
    expect_checkpoint_holds(dir.string(), model);

    write_sharded(dir.string(), model.refs, 80);
    EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
    expect_checkpoint_holds(dir.string(), model);
}

TEST(safetensors_write_sharded, ValidatesAcrossShardsBeforeWriting) {
    const float data[4] = {};
    const auto dir = tests::temp_dir("sharded-invalid");
    const std::vector<TensorRef> refs = {{"w", DType::F32, {4}, data, 16},
                                         {"w", DType::F32, {4}, data, 16}};
    const std::string message = error_of([&] { write_sharded(dir.string(), refs, 16); });
    EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
    EXPECT_NE(message.find("\"w\""), std::string::npos) << message;
    EXPECT_TRUE(list_dir(dir).empty());
}

}  // namespace
}  // namespace lathe::core::safetensors
