// Unsupported components and broken files are Errors that name the file, JSON path and type.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "core/tokenizer/tokenizer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "tests/core/tokenizer/cases.h"

namespace lathe::core::tokenizer {
namespace {

nlohmann::json gpt2_json() {
    return nlohmann::json::parse(util::read_file(lathe::tests::tokenizer_fixture("gpt2-style")));
}

std::string load_error(const nlohmann::json& root) {
    try {
        Tokenizer::from_json(root.dump(), "tokenizer.json");
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(TokenizerErrors, UnsupportedPreTokenizerNamesPathAndType) {
    auto root = gpt2_json();
    root["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "_"}};
    EXPECT_EQ(load_error(root),
              "tokenizer.json: pre_tokenizer.type \"Metaspace\" is not supported (supported: "
              "ByteLevel, Split, Sequence, Digits)");
}

TEST(TokenizerErrors, UnsupportedNestedPreTokenizer) {
    auto root = gpt2_json();
    root["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Whitespace"}}}}};
    EXPECT_NE(load_error(root).find("pre_tokenizer.pretokenizers[1].type \"Whitespace\" is not "
                                    "supported"),
              std::string::npos)
        << load_error(root);
}

TEST(TokenizerErrors, UnsupportedModelNormalizerDecoderPostProcessor) {
    auto model = gpt2_json();
    model["model"]["type"] = "WordPiece";
    EXPECT_EQ(load_error(model),
              "tokenizer.json: model.type \"WordPiece\" is not supported (supported: BPE)");

    auto normalizer = gpt2_json();
    normalizer["normalizer"] = {{"type", "Lowercase"}};
    EXPECT_NE(load_error(normalizer).find("normalizer.type \"Lowercase\" is not supported"),
              std::string::npos);

    auto decoder = gpt2_json();
    decoder["decoder"] = {{"type", "Sequence"},
                          {"decoders", {{{"type", "ByteLevel"}}, {{"type", "Fuse"}}}}};
    EXPECT_NE(load_error(decoder).find("decoder.decoders[1].type \"Fuse\" is not supported"),
              std::string::npos)
        << load_error(decoder);

    auto processor = gpt2_json();
    processor["post_processor"] = {{"type", "Sequence"}, {"processors", {{{"type", "Weird"}}}}};
    EXPECT_NE(
        load_error(processor).find("post_processor.processors[0].type \"Weird\" is not supported"),
        std::string::npos)
        << load_error(processor);
}

TEST(TokenizerErrors, BadFieldsNameTheirPath) {
    auto behavior = gpt2_json();
    behavior["pre_tokenizer"] = {{"type", "Split"},
                                 {"pattern", {{"Regex", "\\s+"}}},
                                 {"behavior", "Sideways"},
                                 {"invert", false}};
    EXPECT_NE(load_error(behavior).find("pre_tokenizer.behavior \"Sideways\""), std::string::npos)
        << load_error(behavior);

    auto regex = gpt2_json();
    regex["pre_tokenizer"] = {{"type", "Split"},
                              {"pattern", {{"Regex", "(unclosed"}}},
                              {"behavior", "Isolated"},
                              {"invert", false}};
    EXPECT_NE(load_error(regex).find("tokenizer.json: pre_tokenizer.pattern.Regex: invalid regex"),
              std::string::npos)
        << load_error(regex);

    auto merges = gpt2_json();
    merges["model"]["merges"][3] = "notatoken alsonot";
    EXPECT_NE(
        load_error(merges).find("model.merges[3] uses \"notatoken\", which is not in the vocab"),
        std::string::npos)
        << load_error(merges);

    auto dropout = gpt2_json();
    dropout["model"]["dropout"] = 0.1;
    EXPECT_NE(load_error(dropout).find("model.dropout"), std::string::npos);

    auto version = gpt2_json();
    version["version"] = "2.0";
    EXPECT_NE(load_error(version).find("version \"2.0\" is not supported"), std::string::npos);

    auto no_model = gpt2_json();
    no_model.erase("model");
    EXPECT_EQ(load_error(no_model), "tokenizer.json: model is missing");

    auto content = gpt2_json();
    content["added_tokens"][0]["content"] = 5;
    EXPECT_NE(load_error(content).find("added_tokens[0].content must be a string"),
              std::string::npos)
        << load_error(content);
}

TEST(TokenizerErrors, InvalidJsonNamesTheFile) {
    try {
        Tokenizer::from_json("{\"model\": ", "my/tokenizer.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("my/tokenizer.json: invalid JSON"), std::string::npos)
            << e.what();
    }
    const auto dir = lathe::tests::temp_dir("tokenizer-invalid-json");
    const std::string path = (dir / "tokenizer.json").string();
    util::write_file_atomic(path, "{\"version\": \"1.0\",\n \"model\": {,}}");
    try {
        Tokenizer::from_file(path);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": invalid JSON"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    util::write_file_atomic(path, util::read_file(lathe::tests::tokenizer_fixture("gpt2-style")));
    util::write_file_atomic((dir / "tokenizer_config.json").string(), "{oops");
    EXPECT_THROW(
        {
            try {
                Tokenizer::from_file(path);
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("tokenizer_config.json: invalid JSON"),
                          std::string::npos);
                throw;
            }
        },
        Error);
    std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, MissingFileNamesThePath) {
    try {
        Tokenizer::from_file("/nonexistent/lathe/tokenizer.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/lathe/tokenizer.json"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace lathe::core::tokenizer
