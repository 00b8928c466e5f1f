#include "core/run/run_config.h"

#include <filesystem>

#include "core/data/embedded_corpus.h"
#include "core/data/text_source.h"
#include "core/util/closest_name.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::run {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void check_keys(const json& j, const std::string& where, const std::vector<std::string>& known) {
    if (!j.is_object()) throw Error(where + " must be a JSON object, got " + j.dump());
    for (const auto& item : j.items()) {
        if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
        const auto hint = util::closest_name(item.key(), known);
        throw Error(where + ": unknown key \"" + item.key() + "\"" +
                    (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
    }
}

template <typename T>
void read(const json& j, const char* key, T& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    try {
        out = it->get<T>();
    } catch (const json::exception&) {
        throw Error(where + "." + key + " has the wrong type: " + it->dump());
    }
}

}  // namespace

ParsedRunConfig parse_run_config(const json& j, const std::string& source) {
    ParsedRunConfig parsed;
    auto& c = parsed.config;
    check_keys(j, source, {"name", "model", "tokenizer", "dataset", "sample", "training_args", "target"});
    read(j, "name", c.name, source);
    if (j.contains("model")) {
        const auto where = source + ": model";
        check_keys(j["model"], where, {"path", "preset", "config_overrides", "dtype"});
        read(j["model"], "path", c.model.path, where);
        read(j["model"], "preset", c.model.preset, where);
        read(j["model"], "dtype", c.model.dtype, where);
        if (j["model"].contains("config_overrides")) {
            c.model.config_overrides = j["model"]["config_overrides"];
            if (!c.model.config_overrides.is_object()) throw Error(where + ".config_overrides must be an object");
        }
    }
    if (c.model.path.empty() == c.model.preset.empty()) {
        throw Error(source + ": model needs exactly one of \"path\" (a Hugging Face folder) and \"preset\"");
    }
    if (j.contains("tokenizer")) {
        const auto where = source + ": tokenizer";
        check_keys(j["tokenizer"], where, {"path", "byte_level"});
        read(j["tokenizer"], "path", c.tokenizer.path, where);
        read(j["tokenizer"], "byte_level", c.tokenizer.byte_level, where);
    }
    if (!j.contains("dataset")) throw Error(source + ": \"dataset\" is missing");
    {
        const auto where = source + ": dataset";
        const auto& d = j["dataset"];
        check_keys(d, where, {"embedded_corpus", "train_files", "eval_files", "validation_split_percent", "format",
                              "text_field", "txt_sample_by", "txt_separator", "block_size", "cache_dir"});
        auto& s = c.dataset;
        read(d, "embedded_corpus", s.embedded_corpus, where);
        read(d, "train_files", s.train_files, where);
        read(d, "eval_files", s.eval_files, where);
        read(d, "validation_split_percent", s.validation_split_percent, where);
        read(d, "format", s.format, where);
        read(d, "text_field", s.text_field, where);
        read(d, "txt_sample_by", s.txt_sample_by, where);
        read(d, "txt_separator", s.txt_separator, where);
        read(d, "block_size", s.block_size, where);
        read(d, "cache_dir", s.cache_dir, where);
        if (!s.embedded_corpus && s.train_files.empty()) {
            throw Error(where + ": give train_files, or embedded_corpus: true");
        }
        if (s.block_size < 2) {
            throw Error(where + ".block_size must be >= 2, got " + std::to_string(s.block_size));
        }
        data::parse_text_format(s.format);
        data::parse_txt_sample_by(s.txt_sample_by);
    }
    if (j.contains("sample")) {
        const auto where = source + ": sample";
        check_keys(j["sample"], where, {"prompt", "max_new_tokens", "temperature", "top_k"});
        read(j["sample"], "prompt", c.sample.prompt, where);
        read(j["sample"], "max_new_tokens", c.sample.max_new_tokens, where);
        read(j["sample"], "temperature", c.sample.temperature, where);
        read(j["sample"], "top_k", c.sample.top_k, where);
    }
    if (j.contains("training_args")) {
        c.training_args = j["training_args"];
        if (!c.training_args.is_object()) throw Error(source + ": training_args must be an object");
    }
    if (j.contains("target")) c.target = j["target"];
    return parsed;
}

ParsedRunConfig load_run_config(const std::string& path) {
    json j;
    try {
        j = json::parse(util::read_file(path));
    } catch (const json::parse_error& e) {
        throw Error(path + ": invalid JSON: " + e.what());
    }
    auto parsed = parse_run_config(j, path);
    const fs::path base = fs::absolute(path).parent_path();
    auto resolve = [&](std::string& p) {
        if (!p.empty() && fs::path(p).is_relative()) p = (base / p).lexically_normal().string();
    };
    auto& c = parsed.config;
    resolve(c.model.path);
    resolve(c.tokenizer.path);
    for (auto& f : c.dataset.train_files) resolve(f);
    for (auto& f : c.dataset.eval_files) resolve(f);
    resolve(c.dataset.cache_dir);
    return parsed;
}

json to_json(const RunConfig& c) {
    json model = json::object();
    if (!c.model.path.empty()) model["path"] = c.model.path;
    if (!c.model.preset.empty()) model["preset"] = c.model.preset;
    if (!c.model.config_overrides.empty()) model["config_overrides"] = c.model.config_overrides;
    if (!c.model.dtype.empty()) model["dtype"] = c.model.dtype;
    json tokenizer = json::object();
    if (!c.tokenizer.path.empty()) tokenizer["path"] = c.tokenizer.path;
    if (c.tokenizer.byte_level) tokenizer["byte_level"] = true;
    const auto& d = c.dataset;
    json dataset = {{"embedded_corpus", d.embedded_corpus},
                    {"train_files", d.train_files},
                    {"eval_files", d.eval_files},
                    {"validation_split_percent", d.validation_split_percent},
                    {"format", d.format},
                    {"text_field", d.text_field},
                    {"txt_sample_by", d.txt_sample_by},
                    {"txt_separator", d.txt_separator},
                    {"block_size", d.block_size}};
    if (!d.cache_dir.empty()) dataset["cache_dir"] = d.cache_dir;
    json out = {{"model", model}, {"tokenizer", tokenizer}, {"dataset", dataset},
                {"training_args", c.training_args}, {"target", c.target}};
    if (!c.name.empty()) out["name"] = c.name;
    if (!c.sample.prompt.empty()) {
        out["sample"] = {{"prompt", c.sample.prompt},
                         {"max_new_tokens", c.sample.max_new_tokens},
                         {"temperature", c.sample.temperature},
                         {"top_k", c.sample.top_k}};
    }
    return out;
}

data::DatasetOptions to_dataset_options(const DatasetSpec& s, std::uint64_t seed) {
    data::DatasetOptions o;
    if (s.embedded_corpus) {
        o.train_files = data::embedded_corpus_files();
        o.text = data::embedded_corpus_text_options();
    } else {
        o.train_files = s.train_files;
        o.text.format = data::parse_text_format(s.format);
        o.text.text_field = s.text_field;
        o.text.txt_sample_by = data::parse_txt_sample_by(s.txt_sample_by);
        o.text.txt_separator = s.txt_separator;
    }
    o.eval_files = s.eval_files;
    o.validation_split_percent = s.validation_split_percent;
    o.block_size = s.block_size;
    o.seed = seed;
    o.cache_dir = s.cache_dir;
    // /usr/share is not ours to write, even as root: the embedded corpus caches in the user's cache.
    if (o.cache_dir.empty() && s.embedded_corpus) o.cache_dir = data::user_cache_dir();
    return o;
}

RunConfig embedded_default_run_config() {
    RunConfig c;
    c.name = "embedded-default";
    c.model.preset = "gpt2-tiny";
    c.tokenizer.byte_level = true;
    c.dataset.embedded_corpus = true;
    c.dataset.block_size = 128;
    c.dataset.validation_split_percent = 2.0;
    c.sample.prompt = "Q: What do you call";
    c.sample.max_new_tokens = 80;
    c.training_args = {{"output_dir", "lathe-runs/embedded-default"},
                       {"max_steps", 300},
                       {"per_device_train_batch_size", 16},
                       {"per_device_eval_batch_size", 32},
                       {"learning_rate", 2e-3},
                       {"weight_decay", 0.01},
                       {"warmup_steps", 30},
                       {"lr_scheduler_type", "cosine"},
                       {"logging_steps", 10},
                       {"eval_strategy", "steps"},
                       {"eval_steps", 100},
                       {"save_steps", 100},
                       {"save_total_limit", 2},
                       {"seed", 42}};
    return c;
}

}  // namespace lathe::core::run
