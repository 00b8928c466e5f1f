#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lathe::core::checkpoints {

// What an export copies out of a checkpoint-N folder.
enum class ExportContent {
    // Everything: a checkpoint that Lathe (and Transformers' Trainer) can resume from.
    full,
    // A Hugging Face model folder for from_pretrained: weights, config.json,
    // generation_config.json and the tokenizer files, without the training state (optimizer,
    // scheduler, RNG, trainer_state.json, training arguments, Lathe's loop state).
    model_only,
};

// "full" or "model-only" (the CLI's and the registry's spelling); parse_export_content throws
// Error naming the value and the allowed ones.
const char* export_content_name(ExportContent content);
ExportContent parse_export_content(const std::string& name);

// True for a file that only training needs (by file name, any folder): optimizer*.pt,
// scheduler*.pt, scaler*.pt, rng_state*.pth, lathe_rng_state*.pt, lathe_loop_state.json,
// trainer_state.json, training_args.json/.bin. A model-only export leaves these out.
bool is_training_state_file(const std::string& file_name);

// True for the file that makes a folder a loadable model: model.safetensors, a sharded
// model.safetensors.index.json, or their pytorch_model.bin counterparts (relative path).
bool is_model_weights_file(const std::string& relative_path);

// Which of a checkpoint's files (paths relative to it, as listed, local or on a node) an export
// copies: indices into `relative_paths`, in order. Throws Error naming `dir` when the checkpoint
// is not complete (no trainer_state.json) or, for model_only, the kept files hold no config.json
// or no weights. The one rule for export_checkpoint and the SSH export.
std::vector<std::size_t> files_to_export(const std::string& dir,
                                         const std::vector<std::string>& relative_paths,
                                         ExportContent content);

// The exported folder's name: the checkpoint's own ("checkpoint-120") for a full export,
// "checkpoint-120-model" for a model-only one, so both can sit side by side.
std::string export_folder_name(const std::string& checkpoint_dir, ExportContent content);

using ExportProgress = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

struct ExportedCheckpoint {
    std::string path;  // <destination_parent>/<export_folder_name>
    int files = 0;
    std::uint64_t bytes = 0;
};

// Copies a complete checkpoint (one holding trainer_state.json) into destination_parent. The
// files go into "<destination_parent>/.<name>.lathe-part" first (a leftover one from an
// interrupted export is replaced), are fsynced, and the folder is renamed into place only then:
// an interrupted export never looks like a finished one. A model-only export must contain
// config.json and weights (model.safetensors or a sharded index), or it is refused. Throws Error
// naming the path: not a complete checkpoint, the target exists, or a copy failed.
// `cancelled` is polled between files and chunks; a cancel throws Error and removes the part.
ExportedCheckpoint export_checkpoint(const std::string& checkpoint_dir,
                                     const std::string& destination_parent, ExportContent content,
                                     const ExportProgress& progress = {},
                                     const std::function<bool()>& cancelled = {});

}  // namespace lathe::core::checkpoints
