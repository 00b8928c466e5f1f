#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace lathe::core::trainer {

// torch.save's zip format for a value made of dicts, lists, strings, numbers and tensors, written
// so that Python's torch.load(..., weights_only=True) accepts it. That is torch.load's default
// since torch 2.6, and what Transformers uses to read optimizer.pt, scheduler.pt and scaler.pt
// when it resumes. torch::pickle_save tags every dict and list with TorchScript's
// torch.jit._pickle.restore_type_tag (and typed lists with build_intlist and friends), globals
// the weights-only unpickler refuses; this writer leaves the tags out. Lists must be
// c10::impl::GenericList: a typed c10::List<int64_t/double/bool> still pickles as build_*list.
std::vector<char> pickle_for_python(const c10::IValue& value);

// Writes pickle_for_python(value) to `path` atomically.
void save_for_python(const c10::IValue& value, const std::string& path);

// Reads a torch.save'd dict (Lathe's or Python's) with every tensor in host memory, wherever it
// was saved from (torch.load's map_location="cpu"). Errors name `path` and say `what` it should
// hold ("optimizer state", ...): unreadable, or not a dict.
c10::impl::GenericDict load_python_dict(const std::string& path, const std::string& what);

}  // namespace lathe::core::trainer
