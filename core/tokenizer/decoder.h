#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_fields.h"

namespace lathe::core::tokenizer {

// tokenizer.json "decoder" (tokenizers' Decoder::decode_chain). Supported: ByteLevel and
// Sequence of it.
class Decoder {
  public:
    virtual ~Decoder() = default;
    virtual void decode_chain(std::vector<std::string>& tokens) const = 0;

    // Throws naming `fields.path()` for unsupported types.
    static std::unique_ptr<const Decoder> from_json(const JsonFields& fields);
};

}  // namespace lathe::core::tokenizer
