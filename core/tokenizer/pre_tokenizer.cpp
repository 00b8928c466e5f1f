#include "core/tokenizer/pre_tokenizer.h"

#include <string>
#include <vector>

#include "core/tokenizer/byte_level.h"
#include "core/tokenizer/regex.h"
#include "core/util/error.h"

namespace lathe::core::tokenizer {

namespace {

constexpr const char* kSupported = "ByteLevel, Split, Sequence, Digits";

// GPT-2's pattern, as tokenizers' ByteLevel pre-tokenizer compiles it (with Oniguruma).
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Reusable strings for pieces a stage rewrites; a stack because stages nest (Sequence).
class BufferStack {
  public:
    std::string& acquire() {
        if (depth_ == buffers_.size())
            buffers_.emplace_back(new std::string());
        return *buffers_[depth_++];  // content left over: callers overwrite it
    }
    void release() { --depth_; }

  private:
    std::vector<std::unique_ptr<std::string>> buffers_;
    std::size_t depth_ = 0;
};

BufferStack& buffers() {
    thread_local BufferStack stack;
    return stack;
}

class BufferLease {
  public:
    BufferLease() : buffer_(buffers().acquire()) {}
    ~BufferLease() { buffers().release(); }
    BufferLease(const BufferLease&) = delete;
    BufferLease& operator=(const BufferLease&) = delete;
    std::string& get() { return buffer_; }

  private:
    std::string& buffer_;
};

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Segment {
    std::size_t start;
    std::size_t end;
    bool is_match;
};

// tokenizers' NormalizedString::split: turns the (offsets, is_match) segments covering a piece
// into the pieces to keep, and passes on the non-empty ones.
void emit_split(std::string_view piece, const std::vector<Segment>& segments, Behavior behavior,
                PieceSink sink) {
    auto emit = [&](std::size_t start, std::size_t end) {
        if (end > start)
            sink(piece.substr(start, end - start));
    };
    switch (behavior) {
        case Behavior::kIsolated:
            for (const Segment& s : segments)
                emit(s.start, s.end);
            return;
        case Behavior::kRemoved:
            for (const Segment& s : segments) {
                if (!s.is_match)
                    emit(s.start, s.end);
            }
            return;
        case Behavior::kContiguous:
        case Behavior::kMergedWithPrevious: {
            // Folds into [start, end) ranges exactly as tokenizers does, emitting a range once
            // it can no longer grow.
            bool previous_match = false;
            bool have = false;
            std::size_t start = 0;
            std::size_t end = 0;
            for (const Segment& s : segments) {
                const bool extend = behavior == Behavior::kContiguous
                                        ? s.is_match == previous_match
                                        : s.is_match && !previous_match;
                if (extend && have) {
                    end = s.end;
                } else {
                    if (have)
                        emit(start, end);
                    start = s.start;
                    end = s.end;
                    have = true;
                }
                previous_match = s.is_match;
            }
            if (have)
                emit(start, end);
            return;
        }
        case Behavior::kMergedWithNext: {
            // tokenizers folds from the back: a match whose following segment is not a match
            // joins it. Ranges are found backwards and emitted forwards.
            std::vector<std::pair<std::size_t, std::size_t>> ranges;
            bool previous_match = false;
            for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
                if (it->is_match && !previous_match && !ranges.empty()) {
                    ranges.back().first = it->start;
                } else {
                    ranges.emplace_back(it->start, it->end);
                }
                previous_match = it->is_match;
            }
            for (auto it = ranges.rbegin(); it != ranges.rend(); ++it)
                emit(it->first, it->second);
            return;
        }
    }
}

class ByteLevelPreTokenizer : public PreTokenizer {
  public:
    ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex, const std::string& where)
        : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
        if (use_regex_)
            regex_ = Regex::oniguruma(kGpt2Pattern, where);
    }

    void pre_tokenize(std::string_view piece, PieceSink sink) const override {
        BufferLease prefixed;
        if (add_prefix_space_ && piece.front() != ' ') {
            prefixed.get().assign(1, ' ');
            prefixed.get().append(piece);
            piece = prefixed.get();
        }
        BufferLease mapped;
        std::string& buffer = mapped.get();
        auto map_and_emit = [&](std::string_view word) {
            // Grown, never shrunk: no per-word resize.
            if (buffer.size() < 2 * word.size())
                buffer.resize(2 * word.size());
            sink(std::string_view(buffer.data(), byte_level_encode(word, buffer.data())));
        };
        if (!use_regex_) {
            map_and_emit(piece);
            return;
        }
        std::size_t previous = 0;
        regex_.for_each_match(piece, [&](std::size_t start, std::size_t end) {
            if (start > previous)
                map_and_emit(piece.substr(previous, start - previous));
            if (end > start)
                map_and_emit(piece.substr(start, end - start));
            previous = end;
        });
        if (previous < piece.size())
            map_and_emit(piece.substr(previous));
    }

  private:
    bool add_prefix_space_;
    bool use_regex_;
    Regex regex_;
};

// Split and Digits: segments from a pattern, then a split behavior.
class PatternPreTokenizer : public PreTokenizer {
  public:
    PatternPreTokenizer(Regex regex, Behavior behavior, bool invert)
        : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}

    void pre_tokenize(std::string_view piece, PieceSink sink) const override {
        if (behavior_ == Behavior::kIsolated || (behavior_ == Behavior::kRemoved && !invert_)) {
            // The common cases need no segment list.
            const bool keep_matches = behavior_ == Behavior::kIsolated;
            std::size_t previous = 0;
            regex_.for_each_match(piece, [&](std::size_t start, std::size_t end) {
                if (start > previous)
                    sink(piece.substr(previous, start - previous));
                if (keep_matches && end > start)
                    sink(piece.substr(start, end - start));
                previous = end;
            });
            if (previous < piece.size())
                sink(piece.substr(previous));
            return;
        }
        std::vector<Segment> segments;
        std::size_t previous = 0;
        regex_.for_each_match(piece, [&](std::size_t start, std::size_t end) {
            if (start != previous)
                segments.push_back({previous, start, invert_});
            segments.push_back({start, end, !invert_});
            previous = end;
        });
        if (previous != piece.size())
            segments.push_back({previous, piece.size(), invert_});
        emit_split(piece, segments, behavior_, sink);
    }

  private:
    Regex regex_;
    Behavior behavior_;
    bool invert_;
};

class SequencePreTokenizer : public PreTokenizer {
  public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<const PreTokenizer>> stages)
        : stages_(std::move(stages)) {}

    void pre_tokenize(std::string_view piece, PieceSink sink) const override {
        run(0, piece, sink);
    }

  private:
    void run(std::size_t stage, std::string_view piece, PieceSink sink) const {
        if (stage == stages_.size()) {
            sink(piece);
            return;
        }
        stages_[stage]->pre_tokenize(piece,
                                     [&](std::string_view part) { run(stage + 1, part, sink); });
    }

    std::vector<std::unique_ptr<const PreTokenizer>> stages_;
};

Behavior parse_behavior(const JsonFields& fields) {
    const std::string name = fields.string("behavior");
    if (name == "Removed")
        return Behavior::kRemoved;
    if (name == "Isolated")
        return Behavior::kIsolated;
    if (name == "MergedWithPrevious")
        return Behavior::kMergedWithPrevious;
    if (name == "MergedWithNext")
        return Behavior::kMergedWithNext;
    if (name == "Contiguous")
        return Behavior::kContiguous;
    fields.fail_field("behavior", "\"" + name +
                                      "\" is not one of Removed, Isolated, MergedWithPrevious, "
                                      "MergedWithNext, Contiguous");
}

std::unique_ptr<const PreTokenizer> split_from_json(const JsonFields& fields) {
    const JsonFields pattern = fields.object("pattern");
    const std::string where = fields.source() + ": " + pattern.path();
    Regex regex;
    if (pattern.has("Regex")) {
        regex = Regex::oniguruma(pattern.string("Regex"), where + ".Regex");
    } else if (pattern.has("String")) {
        regex = Regex::literal(pattern.string("String"), where + ".String");
    } else {
        pattern.fail("must be {\"Regex\": ...} or {\"String\": ...}");
    }
    return std::make_unique<PatternPreTokenizer>(std::move(regex), parse_behavior(fields),
                                                 fields.boolean("invert", false));
}

}  // namespace

std::unique_ptr<const PreTokenizer> PreTokenizer::from_json(const JsonFields& fields) {
    const std::string type = fields.type();
    if (type == "ByteLevel") {
        // Missing fields take ByteLevel::default()'s values.
        return std::make_unique<ByteLevelPreTokenizer>(fields.boolean("add_prefix_space", true),
                                                       fields.boolean("use_regex", true),
                                                       fields.source() + ": " + fields.path());
    }
    if (type == "Split")
        return split_from_json(fields);
    if (type == "Digits") {
        // char::is_numeric: the N categories; one digit per piece, or runs of them.
        const bool individual = fields.boolean("individual_digits", false);
        return std::make_unique<PatternPreTokenizer>(
            Regex::oniguruma(R"(\p{N})", fields.source() + ": " + fields.path()),
            individual ? Behavior::kIsolated : Behavior::kContiguous, false);
    }
    if (type == "Sequence") {
        const nlohmann::json& list = fields.required("pretokenizers");
        if (!list.is_array())
            fields.fail_field("pretokenizers", "must be an array");
        std::vector<std::unique_ptr<const PreTokenizer>> stages;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const JsonFields stage(
                list[i], fields.source(),
                fields.child_path("pretokenizers") + "[" + std::to_string(i) + "]");
            stages.push_back(from_json(stage));
        }
        return std::make_unique<SequencePreTokenizer>(std::move(stages));
    }
    fields.unsupported_type(type, kSupported);
}

}  // namespace lathe::core::tokenizer
