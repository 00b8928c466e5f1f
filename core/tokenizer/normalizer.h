#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/tokenizer/json_fields.h"

namespace lathe::core::tokenizer {

// tokenizer.json "normalizer". Supported: NFC, NFD, NFKC, NFKD (with ICU) and Sequence of those.
class Normalizer {
  public:
    virtual ~Normalizer() = default;
    // Replaces `out` with the normalized `text`.
    virtual void normalize(std::string_view text, std::string& out) const = 0;

    // nullptr for a null normalizer; throws naming `fields.path()` for unsupported types.
    static std::unique_ptr<const Normalizer> from_json(const JsonFields& fields);

    // Whether this build has the Unicode normalization forms (ICU found at configure time).
    static bool unicode_forms_available();
};

}  // namespace lathe::core::tokenizer
