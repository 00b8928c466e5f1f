#include "core/tokenizer/post_processor.h"

#include <string>

namespace lathe::core::tokenizer {

namespace {

constexpr const char* kSupported =
    "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence";

// The single-sequence template: pieces that are either the sequence ($A) or special-token ids.
class TemplateProcessor : public PostProcessor {
  public:
    struct Piece {
        bool is_sequence;
        std::vector<std::int32_t> ids;
    };
    explicit TemplateProcessor(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}

    void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const override {
        std::vector<std::int32_t> out;
        out.reserve(ids.size() + 4);
        for (const Piece& piece : pieces_) {
            if (piece.is_sequence) {
                out.insert(out.end(), ids.begin(), ids.end());
            } else if (add_special_tokens) {
                out.insert(out.end(), piece.ids.begin(), piece.ids.end());
            }
        }
        ids.swap(out);
    }

  private:
    std::vector<Piece> pieces_;
};

class SequenceProcessor : public PostProcessor {
  public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<const PostProcessor>> parts)
        : parts_(std::move(parts)) {}

    void process(std::vector<std::int32_t>& ids, bool add_special_tokens) const override {
        for (const auto& part : parts_)
            part->process(ids, add_special_tokens);
    }

  private:
    std::vector<std::unique_ptr<const PostProcessor>> parts_;
};

// One id of a ["token", id] pair (Roberta/Bert "cls" and "sep").
std::int32_t pair_id(const JsonFields& fields, const std::string& key) {
    const nlohmann::json& pair = fields.required(key);
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
        !pair[1].is_number_integer()) {
        fields.fail_field(key, "must be a [\"token\", id] pair");
    }
    return pair[1].get<std::int32_t>();
}

std::unique_ptr<const PostProcessor> template_from_json(const JsonFields& fields) {
    const JsonFields specials = fields.object("special_tokens");
    const nlohmann::json& single = fields.required("single");
    if (!single.is_array())
        fields.fail_field("single", "must be an array of pieces");
    std::vector<TemplateProcessor::Piece> pieces;
    for (std::size_t i = 0; i < single.size(); ++i) {
        const JsonFields piece(single[i], fields.source(),
                               fields.child_path("single") + "[" + std::to_string(i) + "]");
        if (piece.has("Sequence")) {
            const JsonFields sequence = piece.object("Sequence");
            const std::string id = sequence.string("id");
            if (id != "A") {
                sequence.fail_field("id", "is \"" + id + "\": a single template can only use A");
            }
            pieces.push_back({true, {}});
        } else if (piece.has("SpecialToken")) {
            const std::string id = piece.object("SpecialToken").string("id");
            if (!specials.has(id)) {
                specials.fail("has no entry for \"" + id + "\", which the single template uses");
            }
            const nlohmann::json& ids = specials.object(id).required("ids");
            if (!ids.is_array())
                specials.fail_field(id, "ids must be an array");
            std::vector<std::int32_t> values;
            for (const auto& value : ids) {
                if (!value.is_number_integer())
                    specials.fail_field(id, "ids must be integers");
                values.push_back(value.get<std::int32_t>());
            }
            pieces.push_back({false, std::move(values)});
        } else {
            piece.fail("must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
    }
    return std::make_unique<TemplateProcessor>(std::move(pieces));
}

}  // namespace

std::unique_ptr<const PostProcessor> PostProcessor::from_json(const JsonFields& fields) {
    const std::string type = fields.type();
    if (type == "ByteLevel")
        return nullptr;  // only trims offsets
    if (type == "TemplateProcessing")
        return template_from_json(fields);
    if (type == "RobertaProcessing" || type == "BertProcessing") {
        std::vector<TemplateProcessor::Piece> pieces;
        pieces.push_back({false, {pair_id(fields, "cls")}});
        pieces.push_back({true, {}});
        pieces.push_back({false, {pair_id(fields, "sep")}});
        return std::make_unique<TemplateProcessor>(std::move(pieces));
    }
    if (type == "Sequence") {
        const nlohmann::json& list = fields.required("processors");
        if (!list.is_array())
            fields.fail_field("processors", "must be an array");
        std::vector<std::unique_ptr<const PostProcessor>> parts;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonFields part(list[i], fields.source(),
                                  fields.child_path("processors") + "[" + std::to_string(i) + "]");
            if (auto processor = from_json(part))
                parts.push_back(std::move(processor));
        }
        if (parts.empty())
            return nullptr;
        return std::make_unique<SequenceProcessor>(std::move(parts));
    }
    fields.unsupported_type(type, kSupported);
}

}  // namespace lathe::core::tokenizer
