#include "core/data/embedded_corpus.h"

#include <algorithm>
#include <filesystem>

#include "core/data/utf8.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::data {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> embedded_corpus_files(std::vector<std::string>* skipped) {
    return embedded_corpus_files_in(kEmbeddedCorpusDir, skipped);
}

// Older fortune packages (and some third-party fortune files) are Latin-1. Such files are skipped
// rather than transcoded: the corpus is read through the ordinary read_documents path, which
// insists on UTF-8 for every source, and transcoding would mean writing converted copies
// somewhere and keying the cache on them. Current Debian ships every file as UTF-8, so in
// practice nothing is lost; callers can show `skipped` so that a missing file is not a mystery.
std::vector<std::string> embedded_corpus_files_in(const std::string& dir,
                                                  std::vector<std::string>* skipped) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.' || ends_with(name, ".dat") || ends_with(name, ".u8") ||
            ends_with(name, ".tmp")) {
            continue;
        }
        std::error_code type_ec;
        if (!fs::is_regular_file(it->path(), type_ec))
            continue;  // off/ and dangling links
        const std::string path = it->path().string();
        std::string text;
        try {
            text = util::read_file(path);
        } catch (const Error& e) {
            if (skipped)
                skipped->push_back(std::string(e.what()) + "; skipped");
            continue;
        }
        if (auto bad = find_invalid_utf8(text)) {
            if (skipped) {
                skipped->push_back(path + ":" + std::to_string(line_of_offset(text, *bad)) +
                                   ": not valid UTF-8 (byte " + std::to_string(*bad) +
                                   ", Latin-1?); skipped");
            }
            continue;
        }
        files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        throw Error(dir +
                    ": no fortune text files found for the default corpus; install them with "
                    "\"apt-get install fortunes\" (or fortunes-min), or choose training files");
    }
    return files;
}

TextSourceOptions embedded_corpus_text_options() {
    TextSourceOptions options;
    options.format = TextFormat::Txt;
    options.txt_sample_by = TxtSampleBy::SeparatorLine;
    options.txt_separator = "%";
    return options;
}

}  // namespace lathe::core::data
