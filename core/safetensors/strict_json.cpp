#include "core/safetensors/strict_json.h"

#include <cstring>
#include <set>
#include <vector>

#include "core/util/error.h"

namespace lathe::core::safetensors {

namespace {

constexpr int kMaxDepth = 128;

struct ObjectFrame {
    std::set<std::string> keys;
    std::string last_key;
};

}  // namespace

nlohmann::json parse_json_strict(const char* begin, const char* end, const std::string& where) {
    using Json = nlohmann::json;
    // nlohmann stops at a NUL byte as if the input ended there, which would accept "{}\0junk".
    if (const void* nul = std::memchr(begin, '\0', static_cast<std::size_t>(end - begin))) {
        throw Error(where + ": invalid JSON: NUL byte at offset " +
                    std::to_string(static_cast<const char*>(nul) - begin));
    }
    std::vector<ObjectFrame> frames;
    auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) -> bool {
        switch (event) {
            case Json::parse_event_t::object_start:
            case Json::parse_event_t::array_start:
                // `depth` counts the containers around this one.
                if (depth >= kMaxDepth) {
                    throw Error(where + ": JSON nested deeper than " + std::to_string(kMaxDepth) +
                                " levels");
                }
                if (event == Json::parse_event_t::object_start) {
                    frames.emplace_back();
                }
                break;
            case Json::parse_event_t::key: {
                auto& frame = frames.back();
                std::string key = parsed.get<std::string>();
                if (!frame.keys.insert(key).second) {
                    std::string message = where + ": duplicate key \"" + key + "\"";
                    if (frames.size() >= 2) {
                        message += " inside \"" + frames[frames.size() - 2].last_key + "\"";
                    }
                    throw Error(message);
                }
                frame.last_key = std::move(key);
                break;
            }
            case Json::parse_event_t::object_end:
                frames.pop_back();
                break;
            default:
                break;
        }
        return true;
    };
    try {
        return Json::parse(begin, end, callback, /*allow_exceptions=*/true,
                           /*ignore_comments=*/false);
    } catch (const Json::exception& e) {
        throw Error(where + ": invalid JSON: " + e.what());
    }
}

}  // namespace lathe::core::safetensors
