#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/registry/records.h"

// Builders shared by the registry tests.
namespace lathe::core::registry::testing {

inline RunRecord make_run(const std::string& id, double created_at = 1000.0,
                          RunStatus status = RunStatus::finished) {
    RunRecord run;
    run.id = id;
    run.name = "name of " + id;
    run.status = status;
    run.created_at = created_at;
    run.run_dir = "/runs/" + id;
    run.config = {{"training_args", {{"learning_rate", 0.001}}}};
    return run;
}

inline void append_line(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
}

// One events.jsonl line, envelope first.
inline std::string event_line(std::int64_t seq, const std::string& type, nlohmann::json fields) {
    if (fields.is_null())
        fields = nlohmann::json::object();
    fields["seq"] = seq;
    fields["time"] = 1700000000.0 + static_cast<double>(seq);
    fields["run_id"] = "r1";
    fields["type"] = type;
    return fields.dump() + "\n";
}

// A run of every event type: run_started, `logs` log events (6 points each, grad_norm null on
// every 7th), an eval + sample + checkpoint every 10 logs, a warning, a progress every log, one
// checkpoint deleted, run_finished. Returns the file's text.
inline std::string full_run_events(int logs) {
    std::string text;
    std::int64_t seq = 0;
    text += event_line(++seq, "run_started",
                       {{"config", {{"model", "tiny"}}},
                        {"max_steps", logs * 10},
                        {"world_size", 1},
                        {"resumed_from", nullptr}});
    text += event_line(++seq, "warning", {{"message", "something"}});
    for (int i = 1; i <= logs; ++i) {
        const int step = i * 10;
        nlohmann::json log = {{"loss", 5.0 - i * 0.01},
                              {"learning_rate", 1e-3},
                              {"epoch", i * 0.01},
                              {"step", step},
                              {"tokens_per_second", 1000.0 + i},
                              {"step_time_seconds", 0.25},
                              {"num_input_tokens_seen", i * 2048}};
        log["grad_norm"] = i % 7 == 0 ? nlohmann::json(nullptr) : nlohmann::json(1.5);
        text += event_line(++seq, "log", log);
        text += event_line(
            ++seq, "progress",
            {{"step", step}, {"max_steps", logs * 10}, {"epoch", i * 0.01}, {"eta_seconds", 3.0}});
        if (i % 10 == 0) {
            text += event_line(++seq, "eval",
                               {{"eval_loss", 4.0 - i * 0.01},
                                {"eval_perplexity", 50.0},
                                {"eval_runtime", 1.5},
                                {"eval_samples_per_second", 100.0},
                                {"eval_steps_per_second", 3.0},
                                {"epoch", i * 0.01},
                                {"step", step}});
            text += event_line(
                ++seq, "sample",
                {{"step", step}, {"prompt", "Q:"}, {"text", "Q: a\xc3\xa9 " + std::to_string(i)}});
            if (i == 20) {
                text +=
                    event_line(++seq, "checkpoint_deleted", {{"path", "/runs/r1/checkpoint-100"}});
            }
            text += event_line(++seq, "checkpoint_saved",
                               {{"path", "/runs/r1/checkpoint-" + std::to_string(step)},
                                {"step", step},
                                {"metrics", {{"eval_loss", 4.0 - i * 0.01}}},
                                {"bytes", 1000 + i},
                                {"best", i == 10}});
        }
    }
    text += event_line(++seq, "run_finished",
                       {{"reason", "completed"}, {"metrics", {{"train_loss", 3.0}}}});
    return text;
}

}  // namespace lathe::core::registry::testing
