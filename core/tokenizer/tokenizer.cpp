#include "core/tokenizer/tokenizer.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/decoder.h"
#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/normalizer.h"
#include "core/tokenizer/post_processor.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "core/util/sha256.h"
#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

struct Tokenizer::Impl {
    std::string json_text;
    std::string fingerprint;
    std::shared_ptr<const BpeModel> model;
    std::unique_ptr<const Normalizer> normalizer;
    std::unique_ptr<const PreTokenizer> pre_tokenizer;
    std::unique_ptr<const PostProcessor> post_processor;
    std::unique_ptr<const Decoder> decoder;
    AddedVocabulary added;
    std::optional<std::int32_t> bos;
    std::optional<std::int32_t> eos;
    // Fields of the loaded tokenizer_config.json that save() carries over.
    nlohmann::json config_extras = nlohmann::json::object();

    std::optional<std::int32_t> token_to_id(const std::string& token) const {
        if (auto id = added.token_to_id(token))
            return id;
        return model->token_to_id(token);
    }
    const std::string* id_to_token(std::int32_t id) const {
        if (const AddedToken* token = added.token(id))
            return &token->content;
        return model->id_to_token(id);
    }
    void encode_into(std::string_view text, std::vector<std::int32_t>& ids) const;
    void resolve_special_tokens(const nlohmann::json* config, const std::string& config_path);
};

namespace {

std::optional<std::int32_t> first_existing(const Tokenizer::Impl& impl,
                                           std::initializer_list<const char*> tokens) {
    for (const char* token : tokens) {
        if (auto id = impl.token_to_id(token))
            return id;
    }
    return std::nullopt;
}

// tokenizer_config.json writes special tokens as "text" or {"content": "text", ...}.
std::optional<std::string> config_token(const nlohmann::json& value, const std::string& where) {
    if (value.is_null())
        return std::nullopt;
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string()) {
        return value["content"].get<std::string>();
    }
    throw Error(where + " must be a string, {\"content\": ...} or null");
}

}  // namespace

void Tokenizer::Impl::resolve_special_tokens(const nlohmann::json* config,
                                             const std::string& config_path) {
    // A config that names a token decides, even when it says null (Qwen2 has no bos).
    auto from_config = [&](const char* key, std::optional<std::int32_t>* out) {
        if (config == nullptr || !config->contains(key))
            return false;
        const auto token = config_token((*config)[key], config_path + ": " + key);
        *out = token ? token_to_id(*token) : std::nullopt;
        return true;
    };
    if (!from_config("eos_token", &eos)) {
        eos = first_existing(*this, {"<|endoftext|>", "</s>", "<|end_of_text|>"});
    }
    if (!from_config("bos_token", &bos)) {
        if (post_processor) {
            // What the post-processor puts before the text is the bos (Llama 3's template).
            std::vector<std::int32_t> probe{-1};
            post_processor->process(probe, true);
            if (probe.size() > 1 && probe.front() != -1)
                bos = probe.front();
        }
        if (!bos)
            bos = first_existing(*this, {"<|begin_of_text|>", "<s>", "<|endoftext|>"});
    }
    if (config != nullptr) {
        for (const char* key : {"model_max_length", "chat_template", "pad_token"}) {
            if (config->contains(key))
                config_extras[key] = (*config)[key];
        }
    }
}

void Tokenizer::Impl::encode_into(std::string_view text, std::vector<std::int32_t>& ids) const {
    auto to_model = [&](std::string_view word) { model->tokenize(word, ids); };
    auto between_normalized_tokens = [&](std::string_view piece, std::int32_t id) {
        if (id >= 0) {
            ids.push_back(id);
        } else if (pre_tokenizer) {
            pre_tokenizer->pre_tokenize(piece, to_model);
        } else {
            to_model(piece);
        }
    };
    auto between_raw_tokens = [&](std::string_view piece, std::int32_t id) {
        if (id >= 0) {
            ids.push_back(id);
        } else if (normalizer) {
            std::string normalized;
            normalizer->normalize(piece, normalized);
            added.split(normalized, true, between_normalized_tokens);
        } else {
            added.split(piece, true, between_normalized_tokens);
        }
    };
    added.split(text, false, between_raw_tokens);
}

namespace {

nlohmann::json parse_json(const std::string& text, const std::string& source) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(source + ": invalid JSON: " + e.what());
    }
}

// `config` is the tokenizer_config.json beside the file, or nullptr.
std::shared_ptr<Tokenizer::Impl> load(const std::string& json_text, const std::string& source,
                                      const nlohmann::json* config,
                                      const std::string& config_path) {
    const nlohmann::json root = parse_json(json_text, source);
    const JsonFields top(root, source, "");
    if (top.has("version") && top.string("version") != "1.0") {
        top.fail_field("version",
                       "\"" + top.string("version") + "\" is not supported (supported: 1.0)");
    }
    auto impl = std::make_shared<Tokenizer::Impl>();
    impl->json_text = json_text;
    impl->fingerprint = util::sha256_hex(root.dump());

    const JsonFields model = top.object("model");
    const std::string model_type = model.has("type") ? model.type() : "BPE";
    if (model_type != "BPE")
        model.unsupported_type(model_type, "BPE");
    impl->model = BpeModel::from_json(model);
    if (top.has("normalizer"))
        impl->normalizer = Normalizer::from_json(top.object("normalizer"));
    if (top.has("pre_tokenizer")) {
        impl->pre_tokenizer = PreTokenizer::from_json(top.object("pre_tokenizer"));
    }
    if (top.has("post_processor")) {
        impl->post_processor = PostProcessor::from_json(top.object("post_processor"));
    }
    if (top.has("decoder"))
        impl->decoder = Decoder::from_json(top.object("decoder"));
    impl->added.add_from_json(top, *impl->model, impl->normalizer.get());
    impl->resolve_special_tokens(config, config_path);
    return impl;
}

}  // namespace

Tokenizer Tokenizer::from_json(const std::string& json_text, const std::string& source_name) {
    return Tokenizer(load(json_text, source_name, nullptr, ""));
}

Tokenizer Tokenizer::from_file(const std::string& tokenizer_json_path) {
    const std::string text = util::read_file(tokenizer_json_path);
    const auto config_path =
        (std::filesystem::path(tokenizer_json_path).parent_path() / "tokenizer_config.json")
            .string();
    std::error_code ec;
    if (!std::filesystem::exists(config_path, ec)) {
        return Tokenizer(load(text, tokenizer_json_path, nullptr, ""));
    }
    const nlohmann::json config = parse_json(util::read_file(config_path), config_path);
    if (!config.is_object())
        throw Error(config_path + ": must be a JSON object");
    return Tokenizer(load(text, tokenizer_json_path, &config, config_path));
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
    std::string repaired;
    if (!util::is_valid_utf8(text)) {
        util::append_utf8_lossy(text, repaired);
        text = repaired;
    }
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    impl_->encode_into(text, ids);
    if (impl_->post_processor)
        impl_->post_processor->process(ids, add_special_tokens);
    return ids;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids,
                              bool skip_special_tokens) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const std::int32_t id : ids) {
        const std::string* token = impl_->id_to_token(id);
        if (token == nullptr)
            continue;
        if (skip_special_tokens && impl_->added.is_special(*token))
            continue;
        tokens.push_back(*token);
    }
    if (impl_->decoder) {
        impl_->decoder->decode_chain(tokens);
        std::string text;
        for (const std::string& t : tokens)
            text += t;
        return text;
    }
    std::string text;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i)
            text += ' ';
        text += tokens[i];
    }
    return text;
}

std::int32_t Tokenizer::vocab_size() const {
    return std::max(impl_->model->max_id(), impl_->added.max_id()) + 1;
}

std::optional<std::int32_t> Tokenizer::token_to_id(const std::string& token) const {
    return impl_->token_to_id(token);
}

std::string Tokenizer::id_to_token(std::int32_t id) const {
    const std::string* token = impl_->id_to_token(id);
    return token ? *token : std::string();
}

std::optional<std::int32_t> Tokenizer::eos_token_id() const {
    return impl_->eos;
}
std::optional<std::int32_t> Tokenizer::bos_token_id() const {
    return impl_->bos;
}
std::string Tokenizer::fingerprint() const {
    return impl_->fingerprint;
}

void Tokenizer::save(const std::string& dir) const {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw Error(dir + ": cannot create directory: " + ec.message());
    const std::filesystem::path root(dir);

    nlohmann::ordered_json specials = nlohmann::ordered_json::object();
    auto add_special = [&](const char* key, std::optional<std::int32_t> id) {
        if (id && impl_->id_to_token(*id))
            specials[key] = *impl_->id_to_token(*id);
    };
    add_special("bos_token", impl_->bos);
    add_special("eos_token", impl_->eos);
    if (const auto& unk = impl_->model->unk_token())
        specials["unk_token"] = *unk;
    if (impl_->config_extras.contains("pad_token") &&
        !impl_->config_extras["pad_token"].is_null()) {
        specials["pad_token"] = impl_->config_extras["pad_token"];
    }

    nlohmann::ordered_json config = nlohmann::ordered_json::object();
    config["tokenizer_class"] = "PreTrainedTokenizerFast";
    for (const auto& [key, value] : specials.items())
        config[key] = value;
    // transformers would otherwise "clean up" spaces before punctuation when decoding.
    config["clean_up_tokenization_spaces"] = false;
    for (const char* key : {"model_max_length", "chat_template"}) {
        if (impl_->config_extras.contains(key))
            config[key] = impl_->config_extras[key];
    }

    util::write_file_atomic((root / "tokenizer.json").string(), impl_->json_text);
    util::write_file_atomic((root / "tokenizer_config.json").string(), config.dump(2) + "\n");
    util::write_file_atomic((root / "special_tokens_map.json").string(), specials.dump(2) + "\n");
}

}  // namespace lathe::core::tokenizer
