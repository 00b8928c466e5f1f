#pragma once

#include <memory>
#include <string_view>

#include "core/tokenizer/function_ref.h"
#include "core/tokenizer/json_fields.h"

namespace lathe::core::tokenizer {

using PieceSink = FunctionRef<void(std::string_view)>;

// tokenizer.json "pre_tokenizer": splits a piece of text into the words the model sees. Pieces go
// depth first through the stages of a Sequence, so no list of pieces is ever built; every piece
// passed on is non-empty, as tokenizers drops empty splits.
class PreTokenizer {
  public:
    virtual ~PreTokenizer() = default;
    virtual void pre_tokenize(std::string_view piece, PieceSink sink) const = 0;

    // Throws naming `fields.path()` for unsupported types or bad fields.
    static std::unique_ptr<const PreTokenizer> from_json(const JsonFields& fields);
};

}  // namespace lathe::core::tokenizer
