#include "ui/run_form/dataset_probe.h"

#include <fstream>

#include <nlohmann/json.hpp>

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

DatasetProbe probe_dataset(const std::string& path, const core::data::TextSourceOptions& options,
                           std::size_t max_samples) {
    DatasetProbe probe;
    try {
        const auto format = core::data::resolve_format(path, options);
        probe.format = core::data::to_string(format);
        probe.fields = first_record_fields(path, format);
        auto documents = core::data::read_documents(path, options);
        if (documents.size() > max_samples)
            documents.resize(max_samples);
        probe.samples = std::move(documents);
    } catch (const std::exception& e) {
        probe.error = e.what();
    }
    return probe;
}

}  // namespace lathe::ui::run_form
