#include "core/run/run_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <type_traits>

#include "core/data/embedded_corpus.h"
#include "core/data/text_source.h"
#include "core/training_args/parse.h"
#include "core/util/closest_name.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::run {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string shown(const json& v) {
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string hint_for(const std::string& value, const std::vector<std::string>& known) {
    const auto hint = util::closest_name(value, known);
    return hint.empty() ? "" : " (did you mean \"" + hint + "\"?)";
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

// `where` names the object: "run.json" or "run.json: dataset".
void check_keys(const json& j, const std::string& where, const std::vector<std::string>& known) {
    if (!j.is_object())
        throw Error(where + " must be a JSON object, got " + shown(j));
    for (const auto& item : j.items()) {
        if (std::find(known.begin(), known.end(), item.key()) != known.end())
            continue;
        throw Error(where + ": unknown key \"" + item.key() + "\"" + hint_for(item.key(), known));
    }
}

template <typename T>
const char* type_words() {
    if constexpr (std::is_same_v<T, bool>) {
        return "true or false";
    } else if constexpr (std::is_integral_v<T>) {
        return "an integer";
    } else if constexpr (std::is_floating_point_v<T>) {
        return "a number";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return "a string";
    } else {
        return "a list of strings";
    }
}

// `prefix` goes before the key in messages: "run.json: " or "run.json: dataset.". A missing key or
// null keeps the default.
template <typename T>
void read(const json& j, const char* key, T& out, const std::string& prefix) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return;
    // nlohmann would turn 128.5 or true into an integer and true into a double without a word.
    bool ok = true;
    if constexpr (std::is_same_v<T, bool>) {
        ok = it->is_boolean();
    } else if constexpr (std::is_integral_v<T>) {
        ok = it->is_number_integer();
    } else if constexpr (std::is_floating_point_v<T>) {
        ok = it->is_number();
    } else if constexpr (std::is_same_v<T, std::string>) {
        ok = it->is_string();
    } else {
        ok = it->is_array() &&
             std::all_of(it->begin(), it->end(), [](const json& v) { return v.is_string(); });
    }
    if (!ok)
        throw Error(prefix + key + " must be " + type_words<T>() + ", got " + shown(*it));
    out = it->get<T>();
}

// The data library's own check of a choice, with the run.json path in front of its message.
template <typename Parse>
void check_choice(Parse parse, const std::string& value, const std::string& path) {
    try {
        parse(value);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
}

void check_choice_in(const std::string& value, const std::vector<std::string>& known,
                     const std::string& path) {
    if (std::find(known.begin(), known.end(), value) != known.end())
        return;
    throw Error(path + " \"" + value + "\" is not one of " + joined(known) +
                hint_for(value, known));
}

void read_model(const json& m, ModelSpec& model, const std::string& source) {
    const auto where = source + ": model";
    check_keys(m, where, {"path", "preset", "config_overrides", "dtype"});
    read(m, "path", model.path, where + ".");
    read(m, "preset", model.preset, where + ".");
    read(m, "dtype", model.dtype, where + ".");
    if (auto it = m.find("config_overrides"); it != m.end() && !it->is_null()) {
        if (!it->is_object()) {
            throw Error(where + ".config_overrides must be an object of config.json keys, got " +
                        shown(*it));
        }
        model.config_overrides = *it;
    }
}

void check_model(const ModelSpec& model, const std::string& source) {
    const auto where = source + ": model";
    if (model.path.empty() == model.preset.empty()) {
        throw Error(
            source +
            ": model needs exactly one of \"path\" (a Hugging Face folder) and \"preset\" (" +
            joined(model_preset_names()) + ")");
    }
    if (!model.preset.empty())
        check_choice_in(model.preset, model_preset_names(), where + ".preset");
    if (!model.path.empty() && !model.config_overrides.empty()) {
        throw Error(where + ".config_overrides applies to presets only: edit the config.json of " +
                    model.path + " instead");
    }
    if (!model.dtype.empty()) {
        // The spellings core/models' parse_torch_dtype takes.
        static const std::vector<std::string> dtypes = {"float32", "bfloat16", "float16", "float64",
                                                        "fp32",    "bf16",     "fp16",    "half"};
        check_choice_in(model.dtype, dtypes, where + ".dtype");
    }
}

void read_dataset(const json& d, DatasetSpec& s, const std::string& source) {
    const auto where = source + ": dataset";
    check_keys(
        d, where,
        {"embedded_corpus", "train_files", "eval_files", "validation_split_percent", "format",
         "text_field", "txt_sample_by", "txt_separator", "block_size", "cache_dir"});
    const auto prefix = where + ".";
    read(d, "embedded_corpus", s.embedded_corpus, prefix);
    read(d, "train_files", s.train_files, prefix);
    read(d, "eval_files", s.eval_files, prefix);
    read(d, "validation_split_percent", s.validation_split_percent, prefix);
    read(d, "format", s.format, prefix);
    read(d, "text_field", s.text_field, prefix);
    read(d, "txt_sample_by", s.txt_sample_by, prefix);
    read(d, "txt_separator", s.txt_separator, prefix);
    read(d, "block_size", s.block_size, prefix);
    read(d, "cache_dir", s.cache_dir, prefix);

    if (!s.embedded_corpus && s.train_files.empty()) {
        throw Error(where +
                    ": give train_files (text files to train on), or embedded_corpus: true");
    }
    if (s.embedded_corpus && !s.train_files.empty()) {
        throw Error(where + ": embedded_corpus: true and train_files both given; keep one of them");
    }
    for (const auto* files : {&s.train_files, &s.eval_files}) {
        if (std::any_of(files->begin(), files->end(),
                        [](const std::string& f) { return f.empty(); })) {
            throw Error(prefix + (files == &s.train_files ? "train_files" : "eval_files") +
                        " holds an empty file name");
        }
    }
    if (!(s.validation_split_percent >= 0.0 && s.validation_split_percent < 100.0)) {
        throw Error(prefix + "validation_split_percent must be in [0, 100), got " +
                    shown(json(s.validation_split_percent)));
    }
    if (s.block_size < 2) {
        throw Error(prefix + "block_size must be >= 2, got " + std::to_string(s.block_size));
    }
    check_choice(data::parse_text_format, s.format, prefix + "format");
    check_choice(data::parse_txt_sample_by, s.txt_sample_by, prefix + "txt_sample_by");
    if (s.text_field.empty())
        throw Error(prefix + "text_field must not be empty");
    if (s.txt_separator.empty())
        throw Error(prefix + "txt_separator must not be empty");
}

void read_sample(const json& j, SampleSpec& sample, const std::string& source) {
    const auto where = source + ": sample";
    check_keys(j, where, {"prompt", "max_new_tokens", "temperature", "top_k"});
    const auto prefix = where + ".";
    read(j, "prompt", sample.prompt, prefix);
    read(j, "max_new_tokens", sample.max_new_tokens, prefix);
    read(j, "temperature", sample.temperature, prefix);
    read(j, "top_k", sample.top_k, prefix);
    if (sample.max_new_tokens < 1) {
        throw Error(prefix + "max_new_tokens must be >= 1, got " +
                    std::to_string(sample.max_new_tokens));
    }
    if (!(sample.temperature >= 0.0) || !std::isfinite(sample.temperature)) {
        throw Error(prefix + "temperature must be >= 0 (0: greedy), got " +
                    shown(json(sample.temperature)));
    }
    if (sample.top_k < 0) {
        throw Error(prefix + "top_k must be >= 0 (0: no limit), got " +
                    std::to_string(sample.top_k));
    }
}

void read_target(const json& t, json& target, const std::string& source) {
    if (!t.is_object())
        throw Error(source + ": target must be an object, e.g. {\"kind\": \"local\"}, got " +
                    shown(t));
    auto kind = t.find("kind");
    if (kind == t.end() || !kind->is_string()) {
        throw Error(source + ": target.kind must be a string (local, ssh or slurm)");
    }
    // The rest of a remote target (host, partition, ...) is the remote layer's to check.
    check_choice_in(kind->get<std::string>(), {"local", "ssh", "slurm"}, source + ": target.kind");
    target = t;
}

// "file:LINE:COLUMN" of byte `byte` (nlohmann's 1-based count of bytes read).
std::string position(const std::string& path, const std::string& text, std::size_t byte) {
    std::size_t line = 1, column = 1;
    const std::size_t stop = std::min(byte > 0 ? byte - 1 : 0, text.size());
    for (std::size_t k = 0; k < stop; ++k) {
        if (text[k] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return path + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

const std::vector<std::string>& model_preset_names() {
    // core/models' preset_names(), copied: this library stays torch-free.
    static const std::vector<std::string> names = {"gpt2-tiny", "gpt2-small", "gpt2-medium",
                                                   "llama-tiny", "llama-small"};
    return names;
}

ParsedRunConfig parse_run_config(const json& j, const std::string& source) {
    ParsedRunConfig parsed;
    auto& c = parsed.config;
    check_keys(j, source,
               {"name", "model", "tokenizer", "dataset", "sample", "training_args", "target"});
    read(j, "name", c.name, source + ": ");
    if (auto it = j.find("model"); it != j.end() && !it->is_null())
        read_model(*it, c.model, source);
    check_model(c.model, source);
    if (auto it = j.find("tokenizer"); it != j.end() && !it->is_null()) {
        const auto where = source + ": tokenizer";
        check_keys(*it, where, {"path", "byte_level"});
        read(*it, "path", c.tokenizer.path, where + ".");
        read(*it, "byte_level", c.tokenizer.byte_level, where + ".");
        if (c.tokenizer.byte_level && !c.tokenizer.path.empty()) {
            throw Error(where + ": path and byte_level: true both given; keep one of them");
        }
    }
    auto dataset = j.find("dataset");
    if (dataset == j.end() || dataset->is_null()) {
        throw Error(source + ": \"dataset\" is missing (train_files, or embedded_corpus: true)");
    }
    read_dataset(*dataset, c.dataset, source);
    if (auto it = j.find("sample"); it != j.end() && !it->is_null())
        read_sample(*it, c.sample, source);
    if (auto it = j.find("training_args"); it != j.end() && !it->is_null()) {
        if (!it->is_object()) {
            throw Error(source + ": training_args must be an object of TrainingArguments, got " +
                        shown(*it));
        }
        c.training_args = *it;
    }
    auto args = training_args::from_json(c.training_args, source + ": training_args");
    parsed.args = std::move(args.args);
    parsed.warnings = std::move(args.warnings);
    if (auto it = j.find("target"); it != j.end() && !it->is_null())
        read_target(*it, c.target, source);
    return parsed;
}

ParsedRunConfig load_run_config(const std::string& path) {
    const std::string text = util::read_file(path);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(position(path, text, e.byte) + ": invalid JSON: " + e.what());
    }
    auto parsed = parse_run_config(j, path);
    const fs::path base = fs::absolute(path).parent_path();
    auto resolve = [&](std::string& p) {
        if (!p.empty() && fs::path(p).is_relative())
            p = (base / p).lexically_normal().string();
    };
    auto& c = parsed.config;
    resolve(c.model.path);
    resolve(c.tokenizer.path);
    for (auto& f : c.dataset.train_files)
        resolve(f);
    for (auto& f : c.dataset.eval_files)
        resolve(f);
    resolve(c.dataset.cache_dir);
    return parsed;
}

json to_json(const RunConfig& c) {
    json model = json::object();
    if (!c.model.path.empty())
        model["path"] = c.model.path;
    if (!c.model.preset.empty())
        model["preset"] = c.model.preset;
    if (!c.model.config_overrides.empty())
        model["config_overrides"] = c.model.config_overrides;
    if (!c.model.dtype.empty())
        model["dtype"] = c.model.dtype;
    json tokenizer = json::object();
    if (!c.tokenizer.path.empty())
        tokenizer["path"] = c.tokenizer.path;
    if (c.tokenizer.byte_level)
        tokenizer["byte_level"] = true;
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
    if (!d.cache_dir.empty())
        dataset["cache_dir"] = d.cache_dir;
    json out = {{"model", model},
                {"tokenizer", tokenizer},
                {"dataset", dataset},
                {"training_args", c.training_args},
                {"target", c.target}};
    if (!c.name.empty())
        out["name"] = c.name;
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
    // /usr/share is not ours to write, even as root: the embedded corpus caches in the user's
    // cache.
    if (o.cache_dir.empty() && s.embedded_corpus)
        o.cache_dir = data::user_cache_dir();
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
