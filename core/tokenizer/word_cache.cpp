#include "core/tokenizer/word_cache.h"

#include <cstring>
#include <mutex>

namespace lathe::core::tokenizer {

std::uint64_t WordCache::hash_of(std::string_view word) {
    // FNV-1a folded through a multiply: cheap for the short keys that dominate.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : word) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h | 1;
}

std::size_t WordCache::find_slot(std::string_view word, std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash >> 1) & mask;; i = (i + 1) & mask) {
        const Slot& slot = slots_[i];
        if (slot.hash == 0)
            return i;
        if (slot.hash == hash && slot.key_length == word.size() &&
            std::memcmp(keys_.data() + slot.key_offset, word.data(), word.size()) == 0) {
            return i;
        }
    }
}

bool WordCache::lookup(std::string_view word, std::vector<std::int32_t>& out) const {
    if (word.size() > max_word_bytes_)
        return false;
    const std::uint64_t hash = hash_of(word);
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (slots_.empty())
        return false;
    const Slot& slot = slots_[find_slot(word, hash)];
    if (slot.hash == 0)
        return false;
    const std::int32_t* first = ids_.data() + slot.ids_offset;
    out.insert(out.end(), first, first + slot.id_count);
    return true;
}

void WordCache::grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
        if (slot.hash == 0)
            continue;
        std::size_t i = static_cast<std::size_t>(slot.hash >> 1) & mask;
        while (slots_[i].hash != 0)
            i = (i + 1) & mask;
        slots_[i] = slot;
    }
}

void WordCache::insert(std::string_view word, const std::int32_t* ids, std::size_t count) {
    if (word.size() > max_word_bytes_ || count > 0xFFFF)
        return;
    const std::uint64_t hash = hash_of(word);
    std::unique_lock<std::shared_mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || size_ >= capacity_)
        return;
    if ((size_ + 1) * 2 > slots_.size())
        grow();  // load factor <= 1/2
    Slot& slot = slots_[find_slot(word, hash)];
    if (slot.hash != 0)
        return;  // another thread cached it first
    slot.hash = hash;
    slot.key_offset = static_cast<std::uint32_t>(keys_.size());
    slot.key_length = static_cast<std::uint16_t>(word.size());
    slot.ids_offset = static_cast<std::uint32_t>(ids_.size());
    slot.id_count = static_cast<std::uint16_t>(count);
    keys_.append(word);
    ids_.insert(ids_.end(), ids, ids + count);
    ++size_;
}

}  // namespace lathe::core::tokenizer
