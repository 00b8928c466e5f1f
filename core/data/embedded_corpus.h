#pragma once

#include <string>
#include <vector>

#include "core/data/text_source.h"

namespace lathe::core::data {

// Where Debian's `fortunes` / `fortunes-min` packages put their text files.
inline constexpr const char* kEmbeddedCorpusDir = "/usr/share/games/fortunes";

// The default corpus: the fortune text files (not the .dat indexes, not the .u8 links, not
// subdirectories such as off/), sorted by path. Files that are not valid UTF-8 are skipped and
// described in `skipped` (when given). Throws Error with the hint "apt-get install fortunes" when
// no usable file is found.
std::vector<std::string> embedded_corpus_files(std::vector<std::string>* skipped = nullptr);

// The same, from another directory (tests, other distributions' layouts).
std::vector<std::string> embedded_corpus_files_in(const std::string& dir,
                                                  std::vector<std::string>* skipped = nullptr);

// Txt, one sample per fortune: lines equal to "%" separate them.
TextSourceOptions embedded_corpus_text_options();

}  // namespace lathe::core::data
