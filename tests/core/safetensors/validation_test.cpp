#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/safetensors/file.h"
#include "core/safetensors/header.h"
#include "tests/core/safetensors/safetensors_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::safetensors {
namespace {

using tests::make_image;
using tests::parse_error;

// One F32 tensor "w" of shape [2] followed by one I8 tensor "b" of shape [4]: 12 data bytes.
const std::string kValid = R"({"__metadata__":{"format":"pt"},)"
                           R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"I8","shape":[4],"data_offsets":[8,12]}})";
const std::string kData(12, '\x01');

std::string entry(const std::string& name, const std::string& body) {
    return "\"" + name + "\":" + body;
}

struct Case {
    std::string label;
    std::string header;
    std::string data;
    std::string tensor;  // empty when the error is about the whole file
    std::string what;    // a fragment the message must contain
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.label;
}

class safetensors_parse_rejects : public ::testing::TestWithParam<Case> {};

TEST_P(safetensors_parse_rejects, WithAnErrorNamingFileAndTensor) {
    const Case& c = GetParam();
    const std::string message = parse_error(make_image(c.header, c.data), "dir/bad.safetensors");
    EXPECT_EQ(message.rfind("dir/bad.safetensors: ", 0), 0u) << message;
    if (!c.tensor.empty()) {
        EXPECT_NE(message.find("\"" + c.tensor + "\""), std::string::npos) << message;
    }
    EXPECT_NE(message.find(c.what), std::string::npos) << message;
}

const std::string kW = R"("dtype":"F32","shape":[2],"data_offsets":[0,8])";

INSTANTIATE_TEST_SUITE_P(
    Header, safetensors_parse_rejects,
    ::testing::Values(
        Case{"NotJson", R"({"w":{"dtype":"F32",)", "", "", "invalid JSON"},
        Case{"TrailingGarbage", R"({} x)", "", "", "invalid JSON"},
        Case{"LeadingSpace", R"( {})", "", "", "does not start with '{'"},
        Case{"Array", R"([1])", "", "", "does not start with '{'"},
        Case{"EmptyHeader", "", "", "", "does not start with '{'"},
        Case{"NulPadding", std::string("{}\0", 3), "", "", "invalid JSON"},
        Case{"InvalidUtf8", "{\"w\xff\":{}}", "", "", "invalid JSON"},
        Case{"EntryNotObject", R"({"w":[1,2]})", "", "w", "must be an object"},
        Case{"MissingDtype", R"({"w":{"shape":[2],"data_offsets":[0,8]}})", kData.substr(0, 8), "w",
             "missing \"dtype\""},
        Case{"MissingShape", R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", kData.substr(0, 8),
             "w", "missing \"shape\""},
        Case{"MissingOffsets", R"({"w":{"dtype":"F32","shape":[2]}})", kData.substr(0, 8), "w",
             "missing \"data_offsets\""},
        Case{"DtypeNotString", R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "\"dtype\" must be a string"},
        Case{"ShapeNotArray", R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "\"shape\" must be an array"},
        Case{"ShapeFloat", R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "shape[0] must be a non-negative integer"},
        Case{"ShapeString", R"({"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "shape[0] must be a non-negative integer"},
        Case{"NegativeDim", R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "shape[1] is negative"},
        Case{"OffsetsNotPair", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})",
             kData.substr(0, 8), "w", "\"data_offsets\" must be an array of two integers"},
        Case{"OffsetsTriple", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}})",
             kData.substr(0, 8), "w", "\"data_offsets\" must be an array of two integers"},
        Case{"OffsetsNotArray", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}})",
             kData.substr(0, 8), "w", "\"data_offsets\" must be an array of two integers"},
        Case{"OffsetString", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}})",
             kData.substr(0, 8), "w", "data_offsets[1] must be a non-negative integer"},
        Case{"NegativeOffset", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})",
             kData.substr(0, 8), "w", "data_offsets[0] is negative"},
        Case{"OffsetTooBigForU64",
             R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}})",
             kData.substr(0, 8), "w", "data_offsets[1] must be a non-negative integer"},
        Case{"UnknownDtype", R"({"w":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "dtype \"F7\" is not supported"},
        Case{"LowercaseDtype", R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "dtype \"f32\" is not supported"},
        Case{"ReversedOffsets", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})",
             kData.substr(0, 8), "w", "end before they begin"},
        Case{"SizeMismatch", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "hold 8 bytes but shape [3] of F32 needs 12"},
        Case{"ShapeOverflowsInt64",
             R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "overflows int64"},
        Case{"ShapeProductWrapsToSize",
             // 2^62 * 4 == 2^64 would wrap to 0 bytes without checks.
             R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", "", "w",
             "needs 2^64 bytes or more"},
        Case{"ZeroDimDoesNotHideOverflow",
             R"({"w":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", "",
             "w", "overflows int64"},
        Case{"DimAboveInt64",
             R"({"w":{"dtype":"U8","shape":[9223372036854775808,0],)"
             R"("data_offsets":[0,0]}})",
             "", "w", "too large"},
        Case{"Hole", "{" + entry("w", R"({"dtype":"F32","shape":[2],"data_offsets":[4,12]})") + "}",
             kData, "w", "leave a hole"},
        Case{"HoleBetween",
             "{" + entry("w", "{" + kW + "}") + "," +
                 entry("b", R"({"dtype":"I8","shape":[2],"data_offsets":[10,12]})") + "}",
             kData, "b", "leave a hole"},
        Case{"Overlap",
             "{" + entry("w", "{" + kW + "}") + "," +
                 entry("b", R"({"dtype":"I8","shape":[6],"data_offsets":[6,12]})") + "}",
             kData, "b", "overlap tensor \"w\""},
        Case{"EmptyTensorInsideAnother",
             "{" + entry("w", "{" + kW + "}") + "," +
                 entry("e", R"({"dtype":"F32","shape":[0],"data_offsets":[4,4]})") + "}",
             kData.substr(0, 8), "e", "overlap"},
        Case{"TruncatedData", kValid, kData.substr(0, 11), "b", "truncated"},
        Case{"TrailingBytes", kValid, kData + "x", "b", "trailing bytes"},
        Case{"DataWithoutTensors", R"({})", "x", "", "trailing bytes"},
        Case{"DuplicateTensor",
             "{" + entry("w", "{" + kW + "}") + "," + entry("w", "{" + kW + "}") + "}",
             kData.substr(0, 8), "w", "duplicate key"},
        Case{"DuplicateField",
             R"({"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
             kData.substr(0, 8), "w", "duplicate key \"dtype\""},
        Case{"DuplicateMetadataKey", R"({"__metadata__":{"a":"1","a":"2"}})", "", "", "duplicate"},
        Case{"MetadataValueNotString", R"({"__metadata__":{"format":1}})", "", "format",
             "must be a string"},
        Case{"MetadataValueNull", R"({"__metadata__":{"format":null}})", "", "format",
             "must be a string"},
        Case{"MetadataNotObject", R"({"__metadata__":["pt"]})", "", "", "__metadata__"},
        Case{"TooDeep",
             R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":)" +
                 std::string(200, '[') + std::string(200, ']') + "}}",
             kData.substr(0, 8), "", "nested deeper than 128"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.label; });

TEST(safetensors_parse, RejectsTooShortFiles) {
    for (std::size_t size : {0, 1, 7}) {
        const std::vector<std::uint8_t> bytes(size, 0);
        const std::string message = parse_error(bytes, "short.safetensors");
        EXPECT_NE(message.find("short.safetensors"), std::string::npos) << message;
        EXPECT_NE(message.find("shorter than"), std::string::npos) << message;
    }
}

TEST(safetensors_parse, RejectsHeaderLengthBeyondFileOrLimit) {
    auto image = make_image(kValid, kData);
    image[0] = static_cast<std::uint8_t>(image.size());  // beyond the end, under the limit
    EXPECT_NE(parse_error(image).find("goes beyond the end of the file"), std::string::npos);

    for (std::uint64_t n : {100'000'001ULL, ~0ULL, 1ULL << 63}) {
        for (int i = 0; i < 8; ++i)
            image[static_cast<std::size_t>(i)] = std::uint8_t(n >> (8 * i));
        const std::string message = parse_error(image);
        EXPECT_NE(message.find("bad.safetensors"), std::string::npos) << message;
        EXPECT_NE(message.find("above the limit"), std::string::npos) << message;
    }
}

TEST(safetensors_parse, AcceptsWhatPythonAccepts) {
    const auto parse_image = [](const std::string& header, const std::string& data) {
        const auto image = make_image(header, data);
        return parse(image.data(), image.size(), "ok.safetensors");
    };
    Header h = parse_image(kValid + "      ", kData);  // space padding
    ASSERT_EQ(h.tensors.size(), 2u);
    EXPECT_EQ(h.tensors[0].name, "w");  // data order, not name order
    EXPECT_EQ(h.tensors[1].name, "b");
    EXPECT_EQ(h.data_start, 8 + kValid.size() + 6);
    EXPECT_EQ(h.metadata.at("format"), "pt");

    h = parse_image("{}", "");
    EXPECT_TRUE(h.tensors.empty());
    EXPECT_TRUE(h.metadata.empty());

    // Unknown fields are ignored and a null __metadata__ means none, as in safetensors 0.4.5.
    h = parse_image(R"({"__metadata__":null,"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],)"
                    R"("extra":{"a":[1]}}})"
                    "\n",
                    kData.substr(0, 8));
    EXPECT_EQ(h.tensors.size(), 1u);

    // 0-rank and empty tensors, several empty ones at the same offset.
    h = parse_image(R"({"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},)"
                    R"("e2":{"dtype":"U16","shape":[3,0],"data_offsets":[8,8]},)"
                    R"("e1":{"dtype":"BOOL","shape":[0],"data_offsets":[8,8]}})",
                    std::string(8, '\0'));
    ASSERT_EQ(h.tensors.size(), 3u);
    EXPECT_EQ(h.tensors[0].numel(), 1);
    EXPECT_EQ(h.tensors[1].name, "e1");
    EXPECT_EQ(h.tensors[2].numel(), 0);

    // F8 types are recognised.
    h = parse_image(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]},)"
                    R"("b":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[2,3]}})",
                    "abc");
    EXPECT_EQ(h.find("a")->dtype, DType::F8_E4M3);
    EXPECT_EQ(h.find("b")->dtype, DType::F8_E5M2);
}

TEST(safetensors_file, OpenNamesThePathOnErrors) {
    const auto dir = tests::temp_dir("file-errors");
    const std::string missing = (dir / "missing.safetensors").string();
    try {
        File::open(missing);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }

    const std::string empty = (dir / "empty.safetensors").string();
    tests::write_bytes(empty, {});
    try {
        File::open(empty);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(empty), std::string::npos) << e.what();
    }

    const std::string truncated = (dir / "truncated.safetensors").string();
    tests::write_bytes(truncated, make_image(kValid, kData.substr(0, 10)));
    try {
        File::open(truncated);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(truncated), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("\"b\""), std::string::npos) << e.what();
    }
}

TEST(safetensors_dtype, NamesSizesAndLookup) {
    const std::vector<std::pair<DType, std::size_t>> all = {
        {DType::Bool, 1}, {DType::U8, 1},      {DType::I8, 1},     {DType::I16, 2},
        {DType::U16, 2},  {DType::F16, 2},     {DType::BF16, 2},   {DType::I32, 4},
        {DType::U32, 4},  {DType::F32, 4},     {DType::F64, 8},    {DType::I64, 8},
        {DType::U64, 8},  {DType::F8_E4M3, 1}, {DType::F8_E5M2, 1}};
    for (const auto& [dtype, size] : all) {
        EXPECT_EQ(dtype_size_bytes(dtype), size) << dtype_name(dtype);
        EXPECT_EQ(dtype_from_name(dtype_name(dtype)), dtype);
    }
    EXPECT_STREQ(dtype_name(DType::Bool), "BOOL");
    EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
    EXPECT_FALSE(dtype_from_name("F128").has_value());
}

TEST(safetensors_tensor_info, NumelChecksOverflow) {
    TensorInfo t;
    t.name = "big";
    t.shape = {1LL << 40, 1LL << 40};
    EXPECT_THROW(t.numel(), Error);
    t.shape = {3, 0, 5};
    EXPECT_EQ(t.numel(), 0);
}

}  // namespace
}  // namespace lathe::core::safetensors
