#include "core/tokenizer/decoder.h"

#include "core/tokenizer/byte_level.h"
#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

namespace {

constexpr const char* kSupported = "ByteLevel, Sequence";

class ByteLevelDecoder : public Decoder {
  public:
    void decode_chain(std::vector<std::string>& tokens) const override {
        std::string bytes;
        for (const std::string& token : tokens) {
            if (!byte_level_decode(token, bytes))
                bytes += token;
        }
        std::string text;
        text.reserve(bytes.size());
        util::append_utf8_lossy(bytes, text);
        tokens.assign(1, std::move(text));
    }
};

class SequenceDecoder : public Decoder {
  public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<const Decoder>> parts)
        : parts_(std::move(parts)) {}

    void decode_chain(std::vector<std::string>& tokens) const override {
        for (const auto& part : parts_)
            part->decode_chain(tokens);
    }

  private:
    std::vector<std::unique_ptr<const Decoder>> parts_;
};

}  // namespace

std::unique_ptr<const Decoder> Decoder::from_json(const JsonFields& fields) {
    const std::string type = fields.type();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelDecoder>();
    if (type == "Sequence") {
        const nlohmann::json& list = fields.required("decoders");
        if (!list.is_array())
            fields.fail_field("decoders", "must be an array");
        std::vector<std::unique_ptr<const Decoder>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonFields part(list[i], fields.source(),
                                  fields.child_path("decoders") + "[" + std::to_string(i) + "]");
            parts.push_back(from_json(part));
        }
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    fields.unsupported_type(type, kSupported);
}

}  // namespace lathe::core::tokenizer
