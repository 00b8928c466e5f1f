#include "core/data/text_source.h"

#include <gtest/gtest.h>

#include "core/data/utf8.h"
#include "tests/core/data/data_test_util.h"
#include "tests/test_support.h"

namespace lathe::core::data {
namespace {

using lathe::tests::error_of;
using lathe::tests::temp_dir;
using lathe::tests::write_text;
using Docs = std::vector<std::string>;

TextSourceOptions txt(TxtSampleBy mode) {
    TextSourceOptions o;
    o.txt_sample_by = mode;
    return o;
}

TEST(TextSourceTxt, ParagraphsSplitOnBlankLinesAndKeepText) {
    auto dir = temp_dir("txt-paragraph");
    auto path = write_text(dir, "a.txt", "  a b\nc\n\n\n \t \nd\r\ne\n\n");
    EXPECT_EQ(read_documents(path, txt(TxtSampleBy::Paragraph)), (Docs{"  a b\nc", "d\ne"}));
}

TEST(TextSourceTxt, LinesSkipWhitespaceOnlyLines) {
    auto dir = temp_dir("txt-line");
    auto path = write_text(dir, "a.txt", "x\n\n   \ny \r\nlast");
    EXPECT_EQ(read_documents(path, txt(TxtSampleBy::Line)), (Docs{"x", "y ", "last"}));
}

TEST(TextSourceTxt, FileIsOneSample) {
    auto dir = temp_dir("txt-file");
    auto path = write_text(dir, "a.txt", "one\n\ntwo\n");
    EXPECT_EQ(read_documents(path, txt(TxtSampleBy::File)), (Docs{"one\n\ntwo\n"}));
}

TEST(TextSourceTxt, SeparatorLinesAsInFortuneFiles) {
    auto dir = temp_dir("txt-separator");
    auto path = write_text(dir, "fortunes", "one\n%\ntwo\n  lines\n%\n%\nthree %\n%\n");
    EXPECT_EQ(read_documents(path, txt(TxtSampleBy::SeparatorLine)),
              (Docs{"one", "two\n  lines", "three %"}));
    auto options = txt(TxtSampleBy::SeparatorLine);
    options.txt_separator = "---";
    auto dashes = write_text(dir, "b.txt", "a\n---\nb\n%\nc\n");
    EXPECT_EQ(read_documents(dashes, options), (Docs{"a", "b\n%\nc"}));
}

TEST(TextSourceTxt, ByteOrderMarkIsDropped) {
    auto dir = temp_dir("txt-bom");
    auto path = write_text(dir, "a.txt", "\xEF\xBB\xBFhello\n");
    EXPECT_EQ(read_documents(path, txt(TxtSampleBy::Line)), (Docs{"hello"}));
}

TEST(TextSourceTxt, InvalidUtf8NamesFileLineAndByte) {
    auto dir = temp_dir("txt-utf8");
    auto path = write_text(dir, "latin1.txt", "fine\ncaf\xE9 au lait\n");
    auto msg = error_of([&] { read_documents(path, {}); });
    EXPECT_CONTAINS(msg, path + ":2:");
    EXPECT_CONTAINS(msg, "not valid UTF-8");
    EXPECT_CONTAINS(msg, "byte 8");
}

TEST(TextSourceTxt, MissingFileAndNoSamplesAreErrors) {
    auto dir = temp_dir("txt-missing");
    auto missing = (dir / "nope.txt").string();
    auto msg = error_of([&] { read_documents(missing, {}); });
    EXPECT_CONTAINS(msg, missing);
    EXPECT_CONTAINS(msg, "no such file");

    auto blank = write_text(dir, "blank.txt", "\n  \n\t\n");
    msg = error_of([&] { read_documents(blank, {}); });
    EXPECT_CONTAINS(msg, blank + ": no samples");
    EXPECT_CONTAINS(msg, "paragraph");
    auto empty = write_text(dir, "empty.txt", "");
    EXPECT_CONTAINS(error_of([&] { read_documents(empty, txt(TxtSampleBy::File)); }), "no samples");
}

TEST(TextSourceJsonl, ReadsFieldSkipsBlankLinesAndEmptyText) {
    auto dir = temp_dir("jsonl");
    auto path = write_text(dir, "a.jsonl",
                           "{\"text\": \"first\", \"id\": 1}\n\n"
                           "{\"text\": \"\"}\r\n"
                           "  {\"text\": \"line\\nbreak \\u00e9\"}  \n");
    EXPECT_EQ(read_documents(path, {}), (Docs{"first", "line\nbreak \xC3\xA9"}));
    TextSourceOptions body;
    body.text_field = "body";
    auto other = write_text(dir, "b.jsonl", "{\"body\": \"x\"}\n{\"body\": \"y\"}");
    EXPECT_EQ(read_documents(other, body), (Docs{"x", "y"}));
}

TEST(TextSourceJsonl, ErrorsNameFileLineAndField) {
    auto dir = temp_dir("jsonl-errors");
    auto bad = write_text(dir, "bad.jsonl", "{\"text\": \"a\"}\n\n{\"text\": oops}\n");
    auto msg = error_of([&] { read_documents(bad, {}); });
    EXPECT_CONTAINS(msg, bad + ":3: not valid JSON");

    auto missing =
        write_text(dir, "missing.jsonl", "{\"text\": \"a\"}\n{\"body\": \"b\", \"id\": 2}\n");
    msg = error_of([&] { read_documents(missing, {}); });
    EXPECT_CONTAINS(msg, missing + ":2: no field \"text\"");
    EXPECT_CONTAINS(msg, "fields present: \"body\", \"id\"");

    auto number = write_text(dir, "number.jsonl", "{\"text\": 5}\n");
    msg = error_of([&] { read_documents(number, {}); });
    EXPECT_CONTAINS(msg, number + ":1: field \"text\" is number, not a string");

    auto array = write_text(dir, "array.jsonl", "[1, 2]\n");
    EXPECT_CONTAINS(error_of([&] { read_documents(array, {}); }),
                    array + ":1: expected a JSON object");
}

TEST(TextSourceJson, ArrayOfObjectsAndObjectWithOneList) {
    auto dir = temp_dir("json");
    auto array = write_text(dir, "a.json", R"([{"text": "a"}, {"text": "b", "x": 1}])");
    EXPECT_EQ(read_documents(array, {}), (Docs{"a", "b"}));
    auto object = write_text(dir, "b.json",
                             R"({"version": 2, "meta": {"k": [1]}, "train": [{"text": "c"}]})");
    EXPECT_EQ(read_documents(object, {}), (Docs{"c"}));
}

TEST(TextSourceJson, ErrorsNameTheElementLine) {
    auto dir = temp_dir("json-errors");
    auto path = write_text(dir, "d.json",
                           "{\n  \"data\": [\n    {\"text\": \"a [,]\"},\n"
                           "    {\"text\": \"b\"},\n    {\"body\": \"c\"}\n  ]\n}\n");
    auto msg = error_of([&] { read_documents(path, {}); });
    EXPECT_CONTAINS(msg, path + ":5: element 2 of \"data\": no field \"text\"");
    EXPECT_CONTAINS(msg, "fields present: \"body\"");

    auto two = write_text(dir, "two.json", R"({"a": [], "b": []})");
    msg = error_of([&] { read_documents(two, {}); });
    EXPECT_CONTAINS(msg, two + ": expected an array of objects");
    EXPECT_CONTAINS(msg, "lists found: \"a\", \"b\"");

    auto broken = write_text(dir, "broken.json", "[\n {\"text\": \"a\"},\n {\"text\": }\n]");
    msg = error_of([&] { read_documents(broken, {}); });
    EXPECT_CONTAINS(msg, broken + ":3: not valid JSON");

    auto notstring = write_text(dir, "n.json", "[{\"text\": null}]");
    EXPECT_CONTAINS(error_of([&] { read_documents(notstring, {}); }),
                    notstring + ":1: element 0: field \"text\" is null, not a string");
}

TEST(TextSourceCsv, Rfc4180Quoting) {
    auto dir = temp_dir("csv");
    auto path = write_text(dir, "a.csv",
                           "id,text,extra\r\n"
                           "1,plain,x\r\n"
                           "2,\"with, comma\",y\r\n"
                           "3,\"say \"\"hi\"\"\",z\n"
                           "\n"
                           "4,\"two\nlines\",\n"
                           "5,,empty text is skipped\n"
                           "6,\"\",also skipped\n"
                           "7,last");
    EXPECT_EQ(read_documents(path, {}),
              (Docs{"plain", "with, comma", "say \"hi\"", "two\nlines", "last"}));
    TextSourceOptions by_id;
    by_id.text_field = "id";
    EXPECT_EQ(read_documents(path, by_id).size(), 7u);
}

TEST(TextSourceCsv, TabSeparated) {
    auto dir = temp_dir("tsv");
    auto path = write_text(dir, "a.tsv", "text\tlabel\nhello, world\t1\n\"tab\there\"\t2\n");
    EXPECT_EQ(read_documents(path, {}), (Docs{"hello, world", "tab\there"}));
}

TEST(TextSourceCsv, ErrorsNameFileLineAndColumns) {
    auto dir = temp_dir("csv-errors");
    auto nocol = write_text(dir, "a.csv", "id,body\n1,x\n");
    auto msg = error_of([&] { read_documents(nocol, {}); });
    EXPECT_CONTAINS(msg, nocol + ":1: no column \"text\"");
    EXPECT_CONTAINS(msg, "columns: \"id\", \"body\"");

    auto open = write_text(dir, "b.csv", "id,text\n1,a\n2,\"never\nclosed,\n3,c\n");
    msg = error_of([&] { read_documents(open, {}); });
    EXPECT_CONTAINS(msg, open + ":3: unterminated quote");

    auto junk = write_text(dir, "c.csv", "text\n\"a\"b\n");
    EXPECT_CONTAINS(error_of([&] { read_documents(junk, {}); }),
                    junk + ":2: unexpected character 'b' after a closing quote");

    auto short_row = write_text(dir, "d.csv", "id,text\n1,a\n2\n");
    EXPECT_CONTAINS(error_of([&] { read_documents(short_row, {}); }),
                    short_row + ":3: row has 1 fields");
}

TEST(TextSourceFormat, DetectByExtension) {
    EXPECT_EQ(detect_format("a/b.txt"), TextFormat::Txt);
    EXPECT_EQ(detect_format("a/fortunes"), TextFormat::Txt);
    EXPECT_EQ(detect_format("x.JSONL"), TextFormat::Jsonl);
    EXPECT_EQ(detect_format("x.json"), TextFormat::Json);
    EXPECT_EQ(detect_format("x.csv"), TextFormat::Csv);
    EXPECT_EQ(detect_format("x.tsv"), TextFormat::Tsv);
    auto msg = error_of([] { detect_format("notes.md"); });
    EXPECT_CONTAINS(msg, "notes.md");
    EXPECT_CONTAINS(msg, ".txt, .jsonl, .json, .csv, .tsv, or no extension");
}

TEST(TextSourceFormat, ExplicitFormatOverridesExtension) {
    auto dir = temp_dir("format-override");
    auto path = write_text(dir, "notes.md", "{\"text\": \"a\"}\n");
    TextSourceOptions o;
    o.format = TextFormat::Jsonl;
    EXPECT_EQ(read_documents(path, o), (Docs{"a"}));
    EXPECT_CONTAINS(error_of([&] { read_documents(path, {}); }), "unknown extension");
}

TEST(TextSourceFormat, ParseNames) {
    EXPECT_EQ(parse_text_format("auto"), TextFormat::Auto);
    EXPECT_EQ(parse_text_format("tsv"), TextFormat::Tsv);
    EXPECT_EQ(parse_txt_sample_by("separator"), TxtSampleBy::SeparatorLine);
    EXPECT_EQ(parse_txt_sample_by("file"), TxtSampleBy::File);
    for (auto f : {TextFormat::Auto, TextFormat::Txt, TextFormat::Jsonl, TextFormat::Json,
                   TextFormat::Csv, TextFormat::Tsv}) {
        EXPECT_EQ(parse_text_format(to_string(f)), f);
    }
    auto msg = error_of([] { parse_text_format("parquet"); });
    EXPECT_CONTAINS(msg, "\"parquet\"");
    EXPECT_CONTAINS(msg, "auto, txt, jsonl, json, csv, tsv");
    msg = error_of([] { parse_txt_sample_by("sentence"); });
    EXPECT_CONTAINS(msg, "\"sentence\"");
    EXPECT_CONTAINS(msg, "file, line, paragraph, separator");
}

TEST(TextUtf8, Validation) {
    EXPECT_EQ(find_invalid_utf8("plain ascii"), std::nullopt);
    EXPECT_EQ(find_invalid_utf8("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::nullopt);
    EXPECT_EQ(find_invalid_utf8("ab\xC0\x80"), 2u);         // overlong NUL
    EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);       // surrogate
    EXPECT_EQ(find_invalid_utf8("x\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
    EXPECT_EQ(find_invalid_utf8("xy\xE2\x82"), 2u);         // truncated
    EXPECT_EQ(find_invalid_utf8("\x80"), 0u);               // stray continuation
    EXPECT_EQ(line_of_offset("a\nb\nc", 4), 3u);
}

}  // namespace
}  // namespace lathe::core::data
