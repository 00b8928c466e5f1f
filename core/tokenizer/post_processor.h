#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/tokenizer/json_fields.h"

namespace lathe::core::tokenizer {

// tokenizer.json "post_processor", for single sequences (what encode() makes). Supported:
// TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel (offsets only: no-op on ids)
// and Sequence of those.
class PostProcessor {
  public:
    virtual ~PostProcessor() = default;
    virtual void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const = 0;

    // nullptr for a processor that never changes ids; throws naming `fields.path()`.
    static std::unique_ptr<const PostProcessor> from_json(const JsonFields& fields);
};

}  // namespace lathe::core::tokenizer
