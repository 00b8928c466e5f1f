#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/safetensors/checkpoint.h"
#include "core/safetensors/file.h"
#include "core/util/file_io.h"
#include "tests/core/safetensors/safetensors_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::safetensors {
namespace {

using nlohmann::json;

template <typename T>
T load(const std::uint8_t* p, std::size_t i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    return v;
}

float half_to_float(std::uint16_t h) {
    const int exponent = (h >> 10) & 0x1F;
    const int mantissa = h & 0x3FF;
    float v = 0;
    if (exponent == 0) {
        v = std::ldexp(static_cast<float>(mantissa), -24);
    } else if (exponent == 31) {
        v = mantissa != 0 ? std::numeric_limits<float>::quiet_NaN()
                          : std::numeric_limits<float>::infinity();
    } else {
        v = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
    }
    return (h & 0x8000) != 0 ? -v : v;
}

float bf16_to_float(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
}

double expected_float(const json& v) {
    if (v.is_string()) {
        const auto s = v.get<std::string>();
        if (s == "nan")
            return std::numeric_limits<double>::quiet_NaN();
        if (s == "inf")
            return std::numeric_limits<double>::infinity();
        if (s == "-inf")
            return -std::numeric_limits<double>::infinity();
        ADD_FAILURE() << "bad expected value " << s;
    }
    return v.get<double>();
}

void expect_same_float(double actual, double expected, const std::string& where) {
    if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(actual)) << where;
        return;
    }
    EXPECT_EQ(actual, expected) << where;
    EXPECT_EQ(std::signbit(actual), std::signbit(expected)) << where;
}

// Decodes element i of a tensor and compares it with the Python value.
void expect_element(const TensorInfo& t, const std::uint8_t* p, std::size_t i, const json& v) {
    const std::string where = t.name + "[" + std::to_string(i) + "]";
    switch (t.dtype) {
        case DType::Bool:
            EXPECT_EQ(p[i] != 0, v.get<bool>()) << where;
            EXPECT_LE(p[i], 1) << where;
            break;
        case DType::U8:
            EXPECT_EQ(load<std::uint8_t>(p, i), v.get<std::uint64_t>()) << where;
            break;
        case DType::I8:
            EXPECT_EQ(load<std::int8_t>(p, i), v.get<std::int64_t>()) << where;
            break;
        case DType::I16:
            EXPECT_EQ(load<std::int16_t>(p, i), v.get<std::int64_t>()) << where;
            break;
        case DType::U16:
            EXPECT_EQ(load<std::uint16_t>(p, i), v.get<std::uint64_t>()) << where;
            break;
        case DType::I32:
            EXPECT_EQ(load<std::int32_t>(p, i), v.get<std::int64_t>()) << where;
            break;
        case DType::U32:
            EXPECT_EQ(load<std::uint32_t>(p, i), v.get<std::uint64_t>()) << where;
            break;
        case DType::I64:
            EXPECT_EQ(load<std::int64_t>(p, i), v.get<std::int64_t>()) << where;
            break;
        case DType::U64:
            EXPECT_EQ(load<std::uint64_t>(p, i), v.get<std::uint64_t>()) << where;
            break;
        case DType::F16:
            expect_same_float(half_to_float(load<std::uint16_t>(p, i)), expected_float(v), where);
            break;
        case DType::BF16:
            expect_same_float(bf16_to_float(load<std::uint16_t>(p, i)), expected_float(v), where);
            break;
        case DType::F32:
            expect_same_float(load<float>(p, i), expected_float(v), where);
            break;
        case DType::F64:
            expect_same_float(load<double>(p, i), expected_float(v), where);
            break;
        case DType::F8_E4M3:
        case DType::F8_E5M2:
            ADD_FAILURE() << "F8 is compared as bytes";
            break;
    }
}

json load_json(const std::string& path) {
    return json::parse(util::read_file(path));
}

TEST(safetensors_read, EveryDtypeMatchesPython) {
    const File file = File::open(tests::fixture("safetensors/all_dtypes.safetensors"));
    const json expected = load_json(tests::fixture("safetensors/all_dtypes.expected.json"));

    EXPECT_EQ(file.header().metadata,
              (expected["metadata"].get<std::map<std::string, std::string>>()));
    ASSERT_EQ(file.header().tensors.size(), expected["tensors"].size());
    EXPECT_EQ(file.header().data_start % 8, 0u);

    std::set<DType> seen;
    for (const auto& [name, e] : expected["tensors"].items()) {
        SCOPED_TRACE(name);
        const TensorInfo* t = file.header().find(name);
        ASSERT_NE(t, nullptr);
        seen.insert(t->dtype);
        EXPECT_EQ(dtype_name(t->dtype), e["dtype"].get<std::string>());
        EXPECT_EQ(t->shape, e["shape"].get<std::vector<std::int64_t>>());
        EXPECT_EQ(t->size_bytes(),
                  static_cast<std::uint64_t>(t->numel()) * dtype_size_bytes(t->dtype));
        const std::uint8_t* p = file.data(*t);
        if (e.contains("bytes")) {
            const auto bytes = e["bytes"].get<std::vector<std::uint8_t>>();
            ASSERT_EQ(t->size_bytes(), bytes.size());
            EXPECT_EQ(std::vector<std::uint8_t>(p, p + bytes.size()), bytes);
            continue;
        }
        const auto& values = e["values"];
        ASSERT_EQ(static_cast<std::size_t>(t->numel()), values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            expect_element(*t, p, i, values[i]);
        }
    }
    EXPECT_EQ(seen.size(), 15u) << "the fixture should hold every dtype";

    const TensorInfo* scalar = file.header().find("scalar");
    ASSERT_NE(scalar, nullptr);
    EXPECT_TRUE(scalar->shape.empty());
    EXPECT_EQ(scalar->numel(), 1);
    const TensorInfo* empty = file.header().find("empty");
    ASSERT_NE(empty, nullptr);
    EXPECT_EQ(empty->numel(), 0);
    EXPECT_EQ(empty->size_bytes(), 0u);
    EXPECT_EQ(file.header().find("nope"), nullptr);
}

TEST(safetensors_read, TensorsAreInDataOrderAndTileTheBuffer) {
    const File file = File::open(tests::fixture("safetensors/all_dtypes.safetensors"));
    std::uint64_t cursor = 0;
    for (const auto& t : file.header().tensors) {
        EXPECT_EQ(t.begin, cursor) << t.name;
        cursor = t.end;
    }
    EXPECT_EQ(file.header().data_start + cursor, file.mapping()->size_bytes());
    // The Python writer puts the widest dtypes first.
    EXPECT_EQ(file.header().tensors.front().name, "u64");
    EXPECT_EQ(file.header().tensors.back().name, "bool_vec");
}

TEST(safetensors_read, DataPointerOutlivesTheFile) {
    std::shared_ptr<util::MappedFile> mapping;
    const std::uint8_t* p = nullptr;
    {
        const File file = File::open(tests::fixture("safetensors/all_dtypes.safetensors"));
        p = file.data(*file.header().find("i64"));
        mapping = file.mapping();
    }
    EXPECT_EQ(load<std::int64_t>(p, 2), std::numeric_limits<std::int64_t>::max());
}

TEST(safetensors_read, DataRejectsATensorOfAnotherFile) {
    const File file = File::open(tests::fixture("safetensors/all_dtypes.safetensors"));
    TensorInfo foreign;
    foreign.name = "foreign";
    foreign.begin = 0;
    foreign.end = 1u << 20;
    try {
        file.data(foreign);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("all_dtypes.safetensors"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("\"foreign\""), std::string::npos);
    }
}

TEST(safetensors_read, ShardedCheckpointWrittenByTransformers) {
    const Checkpoint checkpoint = Checkpoint::open_dir(tests::fixture("safetensors/sharded"));
    const json expected = load_json(tests::fixture("safetensors/sharded.expected.json"));

    std::vector<std::string> names;
    for (const auto& [name, e] : expected["tensors"].items()) {
        names.push_back(name);
    }
    EXPECT_EQ(checkpoint.names(), names);  // json objects iterate sorted, as names() is

    const json index =
        load_json(tests::fixture("safetensors/sharded/model.safetensors.index.json"));
    for (const auto& [name, e] : expected["tensors"].items()) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(checkpoint.contains(name));
        const TensorInfo& t = checkpoint.info(name);
        EXPECT_EQ(t.shape, e["shape"].get<std::vector<std::int64_t>>());
        const File& file = checkpoint.file_of(name);
        EXPECT_NE(file.path().find(index["weight_map"][name].get<std::string>()),
                  std::string::npos);
        EXPECT_EQ(file.header().metadata.at("format"), "pt");
        const std::uint8_t* p = file.data(t);
        const auto& values = e["values"];
        ASSERT_EQ(static_cast<std::size_t>(t.numel()), values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            expect_element(t, p, i, values[i]);
        }
    }
    EXPECT_FALSE(checkpoint.contains("missing"));
}

}  // namespace
}  // namespace lathe::core::safetensors
