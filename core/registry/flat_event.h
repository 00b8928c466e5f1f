#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

// A strict, allocation-free parser for the common events.jsonl line: one flat JSON object whose
// values are numbers, plain ASCII strings, true, false or null (every log, eval and progress
// event the trainer writes). Building an nlohmann::json DOM per line costs several times more
// than the rest of ingestion; this parser reads such a line in one pass.
//
// It accepts only text that nlohmann::json accepts with the same values, and declines anything
// else: nesting, string escapes, non-ASCII bytes, duplicate keys, integers beyond 18 digits,
// numbers that overflow. A declined line goes through nlohmann::json as before, so malformed
// lines are reported with the very same words and odd but valid lines mean the same thing.
namespace lathe::core::registry {

struct FlatNumber {
    bool is_integer = false;   // written without fraction or exponent (nlohmann's integers)
    std::int64_t integer = 0;  // when is_integer
    double real = 0;           // the value as a double, always set
};

struct FlatField {
    std::string_view key;  // points into the parsed line
    FlatNumber number;
};

struct FlatEvent {
    std::int64_t seq = 0;
    std::string_view type;  // points into the parsed line
    // The numeric fields (seq included), sorted by key as nlohmann::json's object iterates.
    std::vector<FlatField> numbers;
    // The other keys (strings, booleans, nulls): only to refuse duplicates.
    std::vector<std::string_view> other_keys;
};

// Parses `line` into `event` (its vectors reused, so a caller looping over lines allocates
// nothing). Returns false when the line is outside the subset above, or is not an event (no
// integer "seq" or no string "type"); `event` is unspecified then.
bool parse_flat_event(std::string_view line, FlatEvent& event);

}  // namespace lathe::core::registry
