#pragma once

#include <string>
#include <vector>

namespace lathe::core::data {

enum class TextFormat { Auto, Txt, Jsonl, Json, Csv, Tsv };

// How a plain-text file is cut into samples (documents).
enum class TxtSampleBy {
    File,           // the whole file is one sample
    Line,           // each line is a sample
    Paragraph,      // samples are separated by blank lines
    SeparatorLine,  // samples are separated by a line equal to txt_separator (fortune files)
};

struct TextSourceOptions {
    TextFormat format = TextFormat::Auto;  // Auto: from the file's extension (detect_format)
    std::string text_field = "text";       // JSON/JSONL field or CSV/TSV column holding the text
    TxtSampleBy txt_sample_by = TxtSampleBy::Paragraph;
    std::string txt_separator = "%";  // a line equal to this separates samples (fortune files)
};

// Reads every sample of one file, in file order. Text must be UTF-8 (a leading BOM is dropped).
// Line and Paragraph samples that are only whitespace are skipped, other formats skip empty
// strings; sample text is otherwise kept verbatim (line ends normalised to "\n" in txt modes).
// Throws Error naming the file (and line, field or column) when the file cannot be read or
// parsed, or when it holds no samples.
std::vector<std::string> read_documents(const std::string& path, const TextSourceOptions& options);

// By extension: .txt, .jsonl, .json, .csv, .tsv (any case); no extension means Txt. Any other
// extension is an Error listing the supported ones.
TextFormat detect_format(const std::string& path);

// `options.format`, or detect_format(path) when it is Auto.
TextFormat resolve_format(const std::string& path, const TextSourceOptions& options);

// Names as used in configs: "auto", "txt", "jsonl", "json", "csv", "tsv" and "file", "line",
// "paragraph", "separator". A bad name is an Error naming it and the choices.
TextFormat parse_text_format(const std::string& name);
TxtSampleBy parse_txt_sample_by(const std::string& name);
std::string to_string(TextFormat format);
std::string to_string(TxtSampleBy mode);

}  // namespace lathe::core::data
