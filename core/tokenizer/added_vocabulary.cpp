#include "core/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

namespace {

// Rust regex's Unicode \s (White_Space), used by tokenizers for lstrip/rstrip.
bool is_white_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

std::size_t previous_char_start(std::string_view text, std::size_t pos) {
    do {
        --pos;
    } while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80);
    return pos;
}

}  // namespace

void AddedVocabulary::Trie::add(const std::string& pattern, std::int32_t id) {
    std::int32_t node = 0;
    for (const char c : pattern) {
        const auto byte = static_cast<unsigned char>(c);
        auto& children = nodes[static_cast<std::size_t>(node)].children;
        auto it = std::lower_bound(children.begin(), children.end(),
                                   std::make_pair(byte, std::int32_t{-1}));
        if (it != children.end() && it->first == byte) {
            node = it->second;
        } else {
            const auto child = static_cast<std::int32_t>(nodes.size());
            children.insert(it, {byte, child});
            nodes.emplace_back();
            node = child;
        }
    }
    // The first of two identical patterns wins, like aho-corasick's pattern order.
    if (nodes[static_cast<std::size_t>(node)].id < 0)
        nodes[static_cast<std::size_t>(node)].id = id;
    patterns.push_back(pattern);
    first_byte[static_cast<unsigned char>(pattern[0])] = true;
}

std::size_t AddedVocabulary::Trie::longest_at(std::string_view text, std::size_t pos,
                                              std::int32_t* id) const {
    std::size_t best = 0;
    std::int32_t node = 0;
    for (std::size_t i = pos; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const auto& children = nodes[static_cast<std::size_t>(node)].children;
        auto it = std::lower_bound(children.begin(), children.end(),
                                   std::make_pair(byte, std::int32_t{-1}));
        if (it == children.end() || it->first != byte)
            break;
        node = it->second;
        if (nodes[static_cast<std::size_t>(node)].id >= 0) {
            best = i + 1 - pos;
            *id = nodes[static_cast<std::size_t>(node)].id;
        }
    }
    return best;
}

void AddedVocabulary::add_from_json(const JsonFields& top, const BpeModel& model,
                                    const Normalizer* normalizer) {
    word_char_ = Regex::oniguruma(R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200c}\x{200d}])",
                                  "added token word characters");
    if (top.has("added_tokens")) {
        const nlohmann::json& list = top.required("added_tokens");
        if (!list.is_array())
            top.fail_field("added_tokens", "must be an array");
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonFields entry(list[i], top.source(),
                                   "added_tokens[" + std::to_string(i) + "]");
            AddedToken token;
            token.content = entry.string("content");
            token.special = entry.boolean("special", false);
            token.single_word = entry.boolean("single_word", false);
            token.lstrip = entry.boolean("lstrip", false);
            token.rstrip = entry.boolean("rstrip", false);
            token.normalized = entry.boolean("normalized", !token.special);
            add(token, model);
        }
    }
    refresh(model, normalizer);
}

void AddedVocabulary::add(const AddedToken& token, const BpeModel& model) {
    if (token.special && !token.content.empty() && !special_set_.count(token.content)) {
        special_.push_back(token);
        special_set_.insert(token.content);
    }
    if (token.content.empty())
        return;
    for (const auto& [id, existing] : tokens_) {
        if (existing == token)
            return;
    }
    std::int32_t new_id = 0;
    if (auto known = token_to_id(token.content)) {
        new_id = *known;
    } else if (auto in_model = model.token_to_id(token.content)) {
        new_id = *in_model;
    } else {
        const auto model_size = static_cast<std::int32_t>(model.entry_count());
        if (ids_.empty()) {
            new_id = model_size;
        } else {
            const std::int32_t max = max_id();
            new_id = (max >= model_size || model_size == 0) ? max + 1 : model_size;
        }
    }
    ids_[token.content] = new_id;
    tokens_[new_id] = token;
    if (!special_set_.count(token.content))
        added_.push_back(token);
}

void AddedVocabulary::refresh(const BpeModel& model, const Normalizer* normalizer) {
    raw_ = Trie{};
    normalized_ = Trie{};
    std::string normalized_content;
    auto add_to_trie = [&](const AddedToken& token) {
        std::int32_t id = -1;
        if (auto known = token_to_id(token.content)) {
            id = *known;
        } else if (auto in_model = model.token_to_id(token.content)) {
            id = *in_model;
        }
        if (!token.normalized) {
            raw_.add(token.content, id);
            return;
        }
        if (normalizer) {
            normalizer->normalize(token.content, normalized_content);
        } else {
            normalized_content = token.content;
        }
        if (!normalized_content.empty())
            normalized_.add(normalized_content, id);
    };
    for (const AddedToken& token : special_)
        add_to_trie(token);
    for (const AddedToken& token : added_)
        add_to_trie(token);
}

std::optional<std::int32_t> AddedVocabulary::token_to_id(std::string_view content) const {
    const auto it = ids_.find(std::string(content));
    if (it == ids_.end())
        return std::nullopt;
    return it->second;
}

const AddedToken* AddedVocabulary::token(std::int32_t id) const {
    const auto it = tokens_.find(id);
    return it == tokens_.end() ? nullptr : &it->second;
}

std::int32_t AddedVocabulary::max_id() const {
    std::int32_t max = -1;
    for (const auto& [content, id] : ids_)
        max = std::max(max, id);
    return max;
}

void AddedVocabulary::split(std::string_view text, bool normalized_set,
                            FunctionRef<void(std::string_view, std::int32_t)> on_piece) const {
    if (text.empty())
        return;
    const Trie& trie = normalized_set ? normalized_ : raw_;
    if (trie.patterns.empty()) {
        on_piece(text, -1);
        return;
    }
    const std::size_t n = text.size();
    std::size_t start_offset = 0;
    std::size_t pos = 0;
    while (pos < n) {
        // Leftmost start, then longest pattern there.
        std::size_t s = pos;
        std::size_t length = 0;
        std::int32_t id = -1;
        for (; s < n; ++s) {
            if (!trie.first_byte[static_cast<unsigned char>(text[s])])
                continue;
            length = trie.longest_at(text, s, &id);
            if (length > 0)
                break;
        }
        if (length == 0)
            break;
        std::size_t e = s + length;
        pos = e;
        const AddedToken* added = token(id);
        if (added == nullptr)
            continue;  // cannot happen: every pattern has an id
        if (added->single_word) {
            std::size_t unused = 0;
            const bool start_space =
                s == 0 || !word_char_.match_at(text, previous_char_start(text, s), &unused);
            const bool stop_space = e == n || !word_char_.match_at(text, e, &unused);
            if (!start_space || !stop_space)
                continue;
        }
        std::size_t start = s;
        if (added->lstrip) {
            std::size_t new_start = s;
            while (new_start > 0) {
                const std::size_t prev = previous_char_start(text, new_start);
                std::size_t len = 0;
                if (!is_white_space(util::utf8_decode_at(text, prev, &len)))
                    break;
                new_start = prev;
            }
            start = std::max(new_start, start_offset);
        }
        if (added->rstrip) {
            while (e < n) {
                std::size_t len = 0;
                if (!is_white_space(util::utf8_decode_at(text, e, &len)))
                    break;
                e += len;
            }
        }
        if (start_offset < start)
            on_piece(text.substr(start_offset, start - start_offset), -1);
        on_piece(text.substr(start, e - start), id);
        start_offset = e;
    }
    if (start_offset != n)
        on_piece(text.substr(start_offset), -1);
}

}  // namespace lathe::core::tokenizer
