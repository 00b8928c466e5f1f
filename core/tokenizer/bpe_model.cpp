#include "core/tokenizer/bpe_model.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <queue>

#include "core/util/error.h"
#include "core/util/utf8.h"

namespace lathe::core::tokenizer {

namespace {

// Ids are int32 in Lathe; tokenizers allows u32 but no real vocabulary comes near 2^31, and a
// vocabulary this sparse would only waste memory in the id table.
constexpr std::int64_t kMaxId = std::int64_t{1} << 28;

// Words up to this many symbols merge with a rescan of a rank array; longer ones use a heap.
constexpr std::size_t kSmallWord = 64;

std::pair<std::string, std::string> parse_merge(const nlohmann::json& merge,
                                                const JsonFields& model, std::size_t index) {
    const std::string where = "merges[" + std::to_string(index) + "]";
    if (merge.is_string()) {
        const std::string& text = merge.get_ref<const std::string&>();
        const std::size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
            model.fail_field(where, "\"" + text + "\" must be two tokens separated by one space");
        }
        return {text.substr(0, space), text.substr(space + 1)};
    }
    if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
        return {merge[0].get<std::string>(), merge[1].get<std::string>()};
    }
    model.fail_field(where, "must be a \"left right\" string or a [left, right] pair");
}

}  // namespace

void BpeModel::MergeMap::build(const std::vector<std::pair<std::uint64_t, Merge>>& entries) {
    std::size_t capacity = 16;
    while (capacity < entries.size() * 2)
        capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const auto& [key, merge] : entries) {
        std::size_t i = slot(key);
        while (slots_[i].key != kEmpty && slots_[i].key != key)
            i = (i + 1) & mask_;
        // A pair listed twice keeps its last rank, as tokenizers' HashMap collect does.
        slots_[i].key = key;
        slots_[i].merge = merge;
    }
}

std::shared_ptr<const BpeModel> BpeModel::from_json(const JsonFields& model) {
    std::shared_ptr<BpeModel> bpe(new BpeModel());
    if (model.has("dropout")) {
        const nlohmann::json& dropout = model.required("dropout");
        if (!dropout.is_number() || dropout.get<double>() != 0.0) {
            model.fail_field("dropout", "is " + dropout.dump() +
                                            ": BPE dropout is not supported (it makes encoding "
                                            "random; use null)");
        }
    }
    bpe->unk_token_ = model.optional_string("unk_token");
    bpe->continuing_subword_prefix_ = model.optional_string("continuing_subword_prefix");
    bpe->end_of_word_suffix_ = model.optional_string("end_of_word_suffix");
    bpe->fuse_unk_ = model.boolean("fuse_unk", false);
    bpe->byte_fallback_ = model.boolean("byte_fallback", false);
    bpe->ignore_merges_ = model.boolean("ignore_merges", false);

    const nlohmann::json& vocab = model.required("vocab");
    if (!vocab.is_object())
        model.fail_field("vocab", "must be an object of token: id");
    bpe->tokens_.reserve(vocab.size());
    std::vector<std::int32_t> entry_ids;
    entry_ids.reserve(vocab.size());
    std::int64_t max_id = -1;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
            it.value().get<std::int64_t>() >= kMaxId) {
            model.fail_field("vocab", "entry \"" + it.key() + "\" has id " + it.value().dump() +
                                          " (ids must be integers in [0, 2^28))");
        }
        const std::int64_t id = it.value().get<std::int64_t>();
        bpe->tokens_.push_back(it.key());
        entry_ids.push_back(static_cast<std::int32_t>(id));
        max_id = std::max(max_id, id);
    }
    // Only now, with tokens_ no longer growing, can views into it be taken.
    bpe->id_index_.assign(static_cast<std::size_t>(max_id + 1), -1);
    bpe->char_ids_.assign(0x800, -1);
    bpe->ids_.reserve(bpe->tokens_.size());
    for (std::size_t i = 0; i < bpe->tokens_.size(); ++i) {
        const std::string& token = bpe->tokens_[i];
        const std::int32_t id = entry_ids[i];
        bpe->ids_[std::string_view(token)] = id;
        bpe->id_index_[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(i);
        if (!token.empty() &&
            util::utf8_lead_length(static_cast<unsigned char>(token[0])) == token.size()) {
            std::size_t length = 0;
            const char32_t cp = util::utf8_decode_at(token, 0, &length);
            if (cp < bpe->char_ids_.size())
                bpe->char_ids_[cp] = id;
        }
    }

    const nlohmann::json& merges = model.required("merges");
    if (!merges.is_array())
        model.fail_field("merges", "must be an array");
    std::vector<std::pair<std::uint64_t, Merge>> entries;
    entries.reserve(merges.size());
    const std::size_t prefix_length =
        bpe->continuing_subword_prefix_ ? bpe->continuing_subword_prefix_->size() : 0;
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        auto [left, right] = parse_merge(merges[rank], model, rank);
        const auto left_id = bpe->token_to_id(left);
        const auto right_id = bpe->token_to_id(right);
        const std::string where = "merges[" + std::to_string(rank) + "]";
        if (!left_id)
            model.fail_field(where, "uses \"" + left + "\", which is not in the vocab");
        if (!right_id)
            model.fail_field(where, "uses \"" + right + "\", which is not in the vocab");
        std::string merged = left;
        if (prefix_length > 0 &&
            right.compare(0, prefix_length, *bpe->continuing_subword_prefix_) == 0) {
            merged.append(right, prefix_length, std::string::npos);
        } else {
            merged += right;
        }
        const auto new_id = bpe->token_to_id(merged);
        if (!new_id) {
            model.fail_field(where, "makes \"" + merged + "\", which is not in the vocab");
        }
        entries.push_back(
            {MergeMap::pack(*left_id, *right_id), Merge{static_cast<std::int32_t>(rank), *new_id}});
    }
    bpe->merges_.build(entries);
    return bpe;
}

std::optional<std::int32_t> BpeModel::token_to_id(std::string_view token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end())
        return std::nullopt;
    return it->second;
}

const std::string* BpeModel::id_to_token(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= id_index_.size())
        return nullptr;
    const std::int32_t index = id_index_[static_cast<std::size_t>(id)];
    return index < 0 ? nullptr : &tokens_[static_cast<std::size_t>(index)];
}

std::int32_t BpeModel::unk_id() const {
    const auto id = token_to_id(*unk_token_);
    if (!id) {
        throw Error("BPE unk_token \"" + *unk_token_ + "\" is not in the vocabulary");
    }
    return *id;
}

void BpeModel::initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const {
    const bool affixes = continuing_subword_prefix_ || end_of_word_suffix_;
    std::string scratch;
    // A run of unknown characters waiting to become one unk symbol (fuse_unk) or one each.
    bool pending_unk = false;
    std::size_t pos = 0;
    while (pos < word.size()) {
        const std::size_t length = util::utf8_lead_length(static_cast<unsigned char>(word[pos]));
        const std::string_view ch = word.substr(pos, length);
        const bool first = pos == 0;
        pos += length;
        const bool last = pos >= word.size();

        std::int32_t id = -1;
        std::string_view key = ch;
        if (affixes) {
            scratch.clear();
            if (!first && continuing_subword_prefix_)
                scratch += *continuing_subword_prefix_;
            scratch.append(ch);
            if (last && end_of_word_suffix_)
                scratch += *end_of_word_suffix_;
            key = scratch;
        } else if (length <= 2) {
            std::size_t unused = 0;
            id = char_ids_[util::utf8_decode_at(ch, 0, &unused)];
        }
        if (id < 0) {
            const auto found = token_to_id(key);
            if (found)
                id = *found;
        }
        if (id >= 0) {
            if (pending_unk)
                ids.push_back(unk_id());
            pending_unk = false;
            ids.push_back(id);
            continue;
        }
        if (byte_fallback_) {
            std::vector<std::int32_t> bytes;
            for (const char c : key) {
                char name[8];
                std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(c));
                const auto byte_id = token_to_id(name);
                if (!byte_id)
                    break;
                bytes.push_back(*byte_id);
            }
            if (bytes.size() == key.size()) {
                // tokenizers adds the byte tokens without flushing a pending unk first.
                ids.insert(ids.end(), bytes.begin(), bytes.end());
                continue;
            }
        }
        if (!unk_token_)
            continue;  // tokenizers drops characters it has no id for
        if (pending_unk && !fuse_unk_)
            ids.push_back(unk_id());
        pending_unk = true;
    }
    if (pending_unk)
        ids.push_back(unk_id());
}

void BpeModel::merge_small(std::vector<std::int32_t>& ids) const {
    // ranks[i]: rank of merging ids[i] with ids[i + 1] (INT_MAX when no merge applies).
    std::int32_t ranks[kSmallWord];
    std::int32_t new_ids[kSmallWord];
    std::size_t n = ids.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const Merge* m = merges_.find(ids[i], ids[i + 1]);
        ranks[i] = m ? m->rank : INT_MAX;
        new_ids[i] = m ? m->new_id : -1;
    }
    while (n > 1) {
        std::size_t best = 0;
        for (std::size_t i = 1; i + 1 < n; ++i) {
            if (ranks[i] < ranks[best])
                best = i;
        }
        if (ranks[best] == INT_MAX)
            break;
        ids[best] = new_ids[best];
        for (std::size_t i = best + 1; i + 1 < n; ++i) {
            ids[i] = ids[i + 1];
            ranks[i] = ranks[i + 1];
            new_ids[i] = new_ids[i + 1];
        }
        --n;
        if (best + 1 < n) {
            const Merge* m = merges_.find(ids[best], ids[best + 1]);
            ranks[best] = m ? m->rank : INT_MAX;
            new_ids[best] = m ? m->new_id : -1;
        }
        if (best > 0) {
            const Merge* m = merges_.find(ids[best - 1], ids[best]);
            ranks[best - 1] = m ? m->rank : INT_MAX;
            new_ids[best - 1] = m ? m->new_id : -1;
        }
    }
    ids.resize(n);
}

void BpeModel::merge_large(std::vector<std::int32_t>& ids) const {
    // tokenizers' Word::merge_all: a heap of candidate merges ordered by (rank, position); stale
    // candidates are recognised when popped.
    struct Candidate {
        std::int32_t rank;
        std::int32_t pos;
        std::int32_t new_id;
        bool operator>(const Candidate& o) const {
            return rank != o.rank ? rank > o.rank : pos > o.pos;
        }
    };
    const std::int32_t n = static_cast<std::int32_t>(ids.size());
    std::vector<std::int32_t> prev(ids.size());
    std::vector<std::int32_t> next(ids.size());
    std::vector<char> alive(ids.size(), 1);
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    for (std::int32_t i = 0; i < n; ++i) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
        if (i + 1 < n) {
            if (const Merge* m = merges_.find(ids[i], ids[i + 1])) {
                queue.push({m->rank, i, m->new_id});
            }
        }
    }
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        if (!alive[top.pos] || next[top.pos] < 0)
            continue;
        const std::int32_t right = next[top.pos];
        const Merge* current = merges_.find(ids[top.pos], ids[right]);
        if (current == nullptr || current->new_id != top.new_id)
            continue;
        ids[top.pos] = top.new_id;
        alive[right] = 0;
        next[top.pos] = next[right];
        if (next[right] >= 0)
            prev[next[right]] = top.pos;
        if (prev[top.pos] >= 0) {
            const std::int32_t p = prev[top.pos];
            if (const Merge* m = merges_.find(ids[p], ids[top.pos])) {
                queue.push({m->rank, p, m->new_id});
            }
        }
        if (next[top.pos] >= 0) {
            if (const Merge* m = merges_.find(ids[top.pos], ids[next[top.pos]])) {
                queue.push({m->rank, top.pos, m->new_id});
            }
        }
    }
    std::size_t out = 0;
    for (std::int32_t i = 0; i >= 0; i = next[i])
        ids[out++] = ids[i];
    ids.resize(out);
}

void BpeModel::tokenize(std::string_view word, std::vector<std::int32_t>& out) const {
    if (word.empty())
        return;
    // One character: its id (no merge can apply), without the cost of the cache.
    if (util::utf8_lead_length(static_cast<unsigned char>(word[0])) == word.size() &&
        !continuing_subword_prefix_ && !end_of_word_suffix_) {
        std::size_t unused = 0;
        const char32_t cp = util::utf8_decode_at(word, 0, &unused);
        if (cp < char_ids_.size() && char_ids_[cp] >= 0) {
            out.push_back(char_ids_[cp]);
            return;
        }
    }
    // The cache holds the final ids of a word whichever way they were found, so it is asked
    // before the (costlier) whole-word vocab lookup of ignore_merges.
    if (cache_.lookup(word, out))
        return;
    if (ignore_merges_) {
        if (const auto id = token_to_id(word)) {
            out.push_back(*id);
            cache_.insert(word, &*id, 1);
            return;
        }
    }
    thread_local std::vector<std::int32_t> ids;
    ids.clear();
    initial_symbols(word, ids);
    if (ids.size() <= kSmallWord) {
        merge_small(ids);
    } else {
        merge_large(ids);
    }
    cache_.insert(word, ids.data(), ids.size());
    out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace lathe::core::tokenizer
