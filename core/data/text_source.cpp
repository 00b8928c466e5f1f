#include "core/data/text_source.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/data/utf8.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::data {
namespace {

using nlohmann::json;

std::string at_line(const std::string& path, std::size_t line) {
    return path + ":" + std::to_string(line) + ": ";
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// nlohmann's parse_error text without its "[json.exception...] parse error at line L, column C: "
// prefix, whose line counts from the start of what was parsed (one JSONL line) rather than the
// file.
std::string json_error_detail(const nlohmann::json::parse_error& e) {
    const std::string what = e.what();
    const auto column = what.find("column ");
    const auto colon = column == std::string::npos ? column : what.find(": ", column);
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string join(const std::vector<std::string>& items, std::size_t max_items = 20) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max_items; ++i) {
        out += (i ? ", " : "") + items[i];
    }
    if (items.size() > max_items) {
        out += ", ... (" + std::to_string(items.size()) + " in all)";
    }
    return out.empty() ? "none" : out;
}

std::string load_utf8(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
        throw Error(path + ": no such file");
    }
    if (std::filesystem::is_directory(status)) {
        throw Error(path + ": is a directory, expected a text file");
    }
    std::string text = util::read_file(path);
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        text.erase(0, 3);  // Editors on Windows prepend a BOM; it is not part of the text.
    }
    if (auto bad = find_invalid_utf8(text)) {
        throw Error(at_line(path, line_of_offset(text, *bad)) + "text is not valid UTF-8 (byte " +
                    std::to_string(*bad) +
                    " of the file); convert it first, e.g. iconv -f latin1 -t utf-8");
    }
    return text;
}

// Calls fn(line, line_number) for every line, without its "\n" or "\r\n"; a final line without a
// newline counts, an empty tail after the last newline does not.
void for_each_line(std::string_view text,
                   const std::function<void(std::string_view, std::size_t)>& fn) {
    std::size_t start = 0, number = 1;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        const std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        fn(line, number++);
        start = next;
    }
}

std::vector<std::string> read_txt(const std::string& text, const TextSourceOptions& options) {
    std::vector<std::string> docs;
    if (options.txt_sample_by == TxtSampleBy::File) {
        if (!text.empty())
            docs.push_back(text);
        return docs;
    }
    if (options.txt_sample_by == TxtSampleBy::Line) {
        for_each_line(text, [&](std::string_view line, std::size_t) {
            if (!is_blank(line))
                docs.emplace_back(line);
        });
        return docs;
    }
    const bool by_paragraph = options.txt_sample_by == TxtSampleBy::Paragraph;
    std::string current;
    bool has_lines = false;
    auto flush = [&] {
        if (has_lines && (by_paragraph ? !is_blank(current) : !current.empty())) {
            docs.push_back(current);
        }
        current.clear();
        has_lines = false;
    };
    for_each_line(text, [&](std::string_view line, std::size_t) {
        if (by_paragraph ? is_blank(line) : line == options.txt_separator) {
            flush();
            return;
        }
        if (has_lines)
            current += '\n';
        current += line;
        has_lines = true;
    });
    flush();
    return docs;
}

// The sample text of one JSON object; `where` is "path:line: ".
void take_field(const json& value, const std::string& where, const std::string& field,
                std::vector<std::string>& docs) {
    if (!value.is_object()) {
        throw Error(where + "expected a JSON object with a \"" + field + "\" field, got " +
                    value.type_name());
    }
    auto it = value.find(field);
    if (it == value.end()) {
        std::vector<std::string> keys;
        for (const auto& item : value.items())
            keys.push_back("\"" + item.key() + "\"");
        throw Error(where + "no field \"" + field + "\" (fields present: " + join(keys) + ")");
    }
    if (!it->is_string()) {
        throw Error(where + "field \"" + field + "\" is " + it->type_name() + ", not a string");
    }
    const auto& s = it->get_ref<const std::string&>();
    if (!s.empty())
        docs.push_back(s);
}

std::vector<std::string> read_jsonl(const std::string& path, const std::string& text,
                                    const TextSourceOptions& options) {
    std::vector<std::string> docs;
    for_each_line(text, [&](std::string_view line, std::size_t number) {
        if (is_blank(line))
            return;
        json value;
        try {
            value = json::parse(line);
        } catch (const json::parse_error& e) {
            throw Error(at_line(path, number) + "not valid JSON (column " + std::to_string(e.byte) +
                        "): " + json_error_detail(e));
        }
        take_field(value, at_line(path, number), options.text_field, docs);
    });
    return docs;
}

// Byte offsets where the elements of the sample list start, so that errors about an element can
// name its line (nlohmann::json keeps no positions). The list is the top-level array, or the
// first array that is a direct member of the top-level object. Only used on text that parsed.
std::vector<std::size_t> list_element_offsets(std::string_view text, bool top_is_array) {
    std::vector<std::size_t> offsets;
    std::vector<char> stack;
    std::size_t target_depth = 0;  // stack size inside the list; 0 until it opens
    bool expect_element = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (target_depth != 0 && stack.size() == target_depth && expect_element &&
            !std::isspace(static_cast<unsigned char>(c))) {
            if (c != ']')
                offsets.push_back(i);
            expect_element = false;
        }
        if (c == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\')
                    ++i;
            }
        } else if (c == '[' || c == '{') {
            const bool is_target =
                c == '[' && target_depth == 0 &&
                (top_is_array ? stack.empty() : stack.size() == 1 && stack.back() == '{');
            stack.push_back(c);
            if (is_target) {
                target_depth = stack.size();
                expect_element = true;
            }
        } else if (c == ']' || c == '}') {
            if (target_depth != 0 && stack.size() == target_depth)
                break;
            if (!stack.empty())
                stack.pop_back();
        } else if (c == ',' && target_depth != 0 && stack.size() == target_depth) {
            expect_element = true;
        }
    }
    return offsets;
}

std::vector<std::string> read_json(const std::string& path, const std::string& text,
                                   const TextSourceOptions& options) {
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        throw Error(at_line(path, line_of_offset(text, offset)) +
                    "not valid JSON: " + json_error_detail(e));
    }
    const json* list = nullptr;
    std::string list_name;
    if (root.is_array()) {
        list = &root;
    } else if (root.is_object()) {
        std::vector<std::string> lists;
        for (const auto& item : root.items()) {
            if (item.value().is_array()) {
                lists.push_back("\"" + item.key() + "\"");
                list = &item.value();
                list_name = " of \"" + item.key() + "\"";
            }
        }
        if (lists.size() != 1) {
            throw Error(path +
                        ": expected an array of objects, or an object with exactly one "
                        "list of objects (lists found: " +
                        join(lists) + ")");
        }
    } else {
        throw Error(path + ": expected an array of objects, got " + root.type_name());
    }
    const auto offsets = list_element_offsets(text, root.is_array());
    std::vector<std::string> docs;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::size_t line = i < offsets.size() ? line_of_offset(text, offsets[i]) : 1;
        const std::string where =
            at_line(path, line) + "element " + std::to_string(i) + list_name + ": ";
        take_field((*list)[i], where, options.text_field, docs);
    }
    return docs;
}

// RFC 4180: fields separated by `delim`, records by "\n" or "\r\n"; a field starting with '"'
// runs to the next lone '"' and may hold delimiters, newlines and doubled quotes. Calls
// fn(fields, line of the record's start) for every record that is not an empty line.
void for_each_record(const std::string& path, std::string_view text, char delim,
                     const std::function<void(const std::vector<std::string>&, std::size_t)>& fn) {
    std::size_t i = 0, line = 1;
    const std::size_t n = text.size();
    std::vector<std::string> fields;
    while (i < n) {
        const std::size_t record_line = line;
        fields.clear();
        bool any_quoted = false;
        while (true) {
            std::string field;
            if (i < n && text[i] == '"') {
                any_quoted = true;
                const std::size_t open_line = line;
                ++i;
                while (true) {
                    if (i >= n) {
                        throw Error(at_line(path, open_line) +
                                    "unterminated quote: the quoted field opened on this line "
                                    "never closes");
                    }
                    if (text[i] == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (text[i] == '\n')
                        ++line;
                    field += text[i++];
                }
                if (i < n && text[i] != delim && text[i] != '\n' &&
                    !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
                    throw Error(at_line(path, line) + "unexpected character '" +
                                std::string(1, text[i]) +
                                "' after a closing quote (a quote inside a quoted field is "
                                "written twice: \"\")");
                }
            } else {
                while (i < n && text[i] != delim && text[i] != '\n' &&
                       !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
                    field += text[i++];
                }
            }
            fields.push_back(std::move(field));
            if (i < n && text[i] == delim) {
                ++i;
                continue;
            }
            if (i < n) {
                i += text[i] == '\r' ? 2 : 1;
                ++line;
            }
            break;
        }
        if (fields.size() == 1 && fields[0].empty() && !any_quoted)
            continue;  // blank line
        fn(fields, record_line);
    }
}

std::vector<std::string> read_csv(const std::string& path, const std::string& text, char delim,
                                  const TextSourceOptions& options) {
    std::vector<std::string> docs;
    std::vector<std::string> header;
    std::size_t column = 0;
    for_each_record(
        path, text, delim, [&](const std::vector<std::string>& fields, std::size_t line) {
            if (header.empty()) {
                header = fields;
                auto it = std::find(header.begin(), header.end(), options.text_field);
                if (it == header.end()) {
                    std::vector<std::string> names;
                    for (const auto& h : header)
                        names.push_back("\"" + h + "\"");
                    throw Error(at_line(path, line) + "no column \"" + options.text_field +
                                "\" in the header (columns: " + join(names) + ")");
                }
                column = static_cast<std::size_t>(it - header.begin());
                return;
            }
            if (column >= fields.size()) {
                throw Error(at_line(path, line) + "row has " + std::to_string(fields.size()) +
                            " fields, so no column \"" + options.text_field + "\" (field " +
                            std::to_string(column + 1) + " of " + std::to_string(header.size()) +
                            " in the header)");
            }
            if (!fields[column].empty())
                docs.push_back(fields[column]);
        });
    return docs;
}

std::string describe(TextFormat format, const TextSourceOptions& options) {
    if (format == TextFormat::Txt) {
        return "format txt, sample by " + to_string(options.txt_sample_by);
    }
    return "format " + to_string(format) + ", field \"" + options.text_field + "\"";
}

}  // namespace

std::vector<std::string> read_documents(const std::string& path, const TextSourceOptions& options) {
    const TextFormat format = resolve_format(path, options);
    const std::string text = load_utf8(path);
    std::vector<std::string> docs;
    switch (format) {
        case TextFormat::Txt:
            docs = read_txt(text, options);
            break;
        case TextFormat::Jsonl:
            docs = read_jsonl(path, text, options);
            break;
        case TextFormat::Json:
            docs = read_json(path, text, options);
            break;
        case TextFormat::Csv:
            docs = read_csv(path, text, ',', options);
            break;
        case TextFormat::Tsv:
            docs = read_csv(path, text, '\t', options);
            break;
        case TextFormat::Auto:
            break;  // resolve_format never returns Auto
    }
    if (docs.empty()) {
        throw Error(path + ": no samples found (" + describe(format, options) + ")");
    }
    return docs;
}

TextFormat detect_format(const std::string& path) {
    const std::string ext = lower(std::filesystem::path(path).extension().string());
    if (ext.empty())
        return TextFormat::Txt;
    if (ext == ".txt")
        return TextFormat::Txt;
    if (ext == ".jsonl")
        return TextFormat::Jsonl;
    if (ext == ".json")
        return TextFormat::Json;
    if (ext == ".csv")
        return TextFormat::Csv;
    if (ext == ".tsv")
        return TextFormat::Tsv;
    throw Error(path + ": unknown extension \"" + ext +
                "\" (supported: .txt, .jsonl, .json, .csv, .tsv, or no extension for plain "
                "text); set dataset.text.format to read it anyway");
}

TextFormat resolve_format(const std::string& path, const TextSourceOptions& options) {
    return options.format == TextFormat::Auto ? detect_format(path) : options.format;
}

TextFormat parse_text_format(const std::string& name) {
    for (TextFormat f : {TextFormat::Auto, TextFormat::Txt, TextFormat::Jsonl, TextFormat::Json,
                         TextFormat::Csv, TextFormat::Tsv}) {
        if (name == to_string(f))
            return f;
    }
    throw Error("text format \"" + name +
                "\" is not known (choices: auto, txt, jsonl, json, csv, "
                "tsv)");
}

TxtSampleBy parse_txt_sample_by(const std::string& name) {
    for (TxtSampleBy m : {TxtSampleBy::File, TxtSampleBy::Line, TxtSampleBy::Paragraph,
                          TxtSampleBy::SeparatorLine}) {
        if (name == to_string(m))
            return m;
    }
    throw Error("txt sample_by \"" + name +
                "\" is not known (choices: file, line, paragraph, separator)");
}

std::string to_string(TextFormat format) {
    switch (format) {
        case TextFormat::Auto:
            return "auto";
        case TextFormat::Txt:
            return "txt";
        case TextFormat::Jsonl:
            return "jsonl";
        case TextFormat::Json:
            return "json";
        case TextFormat::Csv:
            return "csv";
        case TextFormat::Tsv:
            return "tsv";
    }
    return "auto";
}

std::string to_string(TxtSampleBy mode) {
    switch (mode) {
        case TxtSampleBy::File:
            return "file";
        case TxtSampleBy::Line:
            return "line";
        case TxtSampleBy::Paragraph:
            return "paragraph";
        case TxtSampleBy::SeparatorLine:
            return "separator";
    }
    return "paragraph";
}

}  // namespace lathe::core::data
