#include "ui/run_form/dataset_probe.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/run/run_tokenizer.h"
#include "core/util/error.h"

namespace lathe::ui::run_form {

namespace {

using core::data::TextFormat;

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> parts;
    std::string part;
    for (char c : line) {
        if (c == separator) {
            parts.push_back(part);
            part.clear();
        } else if (c != '"' && c != '\r') {
            part += c;
        }
    }
    parts.push_back(part);
    return parts;
}

std::vector<std::string> keys_of(const nlohmann::json& record) {
    std::vector<std::string> keys;
    if (record.is_object()) {
        for (const auto& item : record.items())
            keys.push_back(item.key());
    }
    return keys;
}

// Only the start of the file: the field list must not wait for a multi-gigabyte read.
std::vector<std::string> first_record_fields(const std::string& path, TextFormat format) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw core::Error(path + ": cannot be opened");
    std::string line;
    switch (format) {
        case TextFormat::Jsonl:
            while (std::getline(in, line)) {
                if (line.find_first_not_of(" \t\r") != std::string::npos)
                    return keys_of(nlohmann::json::parse(line, nullptr, false));
            }
            return {};
        case TextFormat::Csv:
        case TextFormat::Tsv:
            std::getline(in, line);
            if (line.rfind("\xEF\xBB\xBF", 0) == 0)
                line.erase(0, 3);
            return split(line, format == TextFormat::Csv ? ',' : '\t');
        case TextFormat::Json: {
            // A JSON document has to be read whole to find its first record.
            const auto document = nlohmann::json::parse(in, nullptr, false);
            if (document.is_array() && !document.empty())
                return keys_of(document.front());
            return keys_of(document);
        }
        default:
            return {};
    }
}

}  // namespace

DatasetProbe probe_dataset(const ProbeRequest& request) {
    DatasetProbe probe;
    try {
        if (request.train_files.empty())
            throw core::Error("choose train files, or the embedded corpus");
        const std::string& first = request.train_files.front();
        const auto format = core::data::resolve_format(first, request.text);
        probe.format = core::data::to_string(format);
        probe.fields = first_record_fields(first, format);
        const auto tokenizer_file = core::run::tokenizer_file(request.model, request.tokenizer);
        probe.tokenizer = tokenizer_file.empty() ? "byte-level" : tokenizer_file;
        const auto tokenizer = core::run::load_tokenizer(request.model, request.tokenizer);
        probe.vocab_size = tokenizer.vocab_size();
        const std::int64_t eos = tokenizer.eos_token_id() ? 1 : 0;

        std::uint64_t text_counted = 0;
        double counted_file_bytes = 0.0;  // the share of the files' bytes that was counted
        bool complete = true;
        for (const std::string& path : request.train_files) {
            std::error_code ec;
            const auto file_bytes = std::filesystem::file_size(path, ec);
            if (ec)
                throw core::Error(path + ": " + ec.message());
            probe.bytes_total += file_bytes;
            if (text_counted >= request.count_text_bytes) {
                complete = false;
                continue;
            }
            const auto documents = core::data::read_documents(path, request.text);
            if (&path == &first) {
                for (std::size_t i = 0; i < documents.size() && i < request.max_samples; ++i) {
                    probe.samples.push_back(documents[i]);
                    probe.sample_tokens.push_back(
                        static_cast<std::int64_t>(tokenizer.encode(documents[i], false).size()));
                }
            }
            std::uint64_t file_text = 0, file_text_counted = 0;
            for (const auto& document : documents)
                file_text += document.size();
            for (const auto& document : documents) {
                if (request.cancelled && *request.cancelled)
                    throw core::Error("probe cancelled");
                if (text_counted >= request.count_text_bytes) {
                    complete = false;
                    break;
                }
                const auto tokens =
                    static_cast<std::int64_t>(tokenizer.encode(document, false).size()) + eos;
                probe.document_tokens.push_back(tokens);
                probe.tokens_counted += tokens;
                ++probe.documents_counted;
                text_counted += document.size();
                file_text_counted += document.size();
            }
            counted_file_bytes += file_text == 0 ? static_cast<double>(file_bytes)
                                                 : static_cast<double>(file_bytes) *
                                                       static_cast<double>(file_text_counted) /
                                                       static_cast<double>(file_text);
        }
        probe.exact = complete;
        if (complete) {
            probe.estimated_tokens = probe.tokens_counted;
        } else {
            probe.document_tokens.clear();
            probe.estimated_tokens =
                counted_file_bytes > 0.0
                    ? static_cast<std::int64_t>(static_cast<double>(probe.tokens_counted) *
                                                static_cast<double>(probe.bytes_total) /
                                                counted_file_bytes)
                    : 0;
        }
    } catch (const std::exception& e) {
        probe.error = e.what();
    }
    return probe;
}

}  // namespace lathe::ui::run_form
