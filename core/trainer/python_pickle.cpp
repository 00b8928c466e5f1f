#include "core/trainer/python_pickle.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <string_view>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::trainer {

std::vector<char> pickle_for_python(const c10::IValue& value) {
    std::vector<char> pickle;
    // The same steps as torch::pickle_save, with tag_aggregates off.
    torch::jit::Pickler pickler(
        [&](const char* bytes, size_t size) { pickle.insert(pickle.end(), bytes, bytes + size); },
        nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
    pickler.protocol();
    pickler.pushIValue(value);
    pickler.stop();
    std::vector<char> archive;
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t size) {
        const auto* begin = static_cast<const char*>(bytes);
        archive.insert(archive.end(), begin, begin + size);
        return size;
    });
    torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(),
                                       writer);
    writer.writeEndOfFile();
    return archive;
}

void save_for_python(const c10::IValue& value, const std::string& path) {
    const auto bytes = pickle_for_python(value);
    util::write_file_atomic(path, std::string_view(bytes.data(), bytes.size()));
}

c10::impl::GenericDict load_python_dict(const std::string& path, const std::string& what) {
    const std::string bytes = util::read_file(path);
    c10::IValue root;
    try {
        // torch::pickle_load with map_location="cpu": a file Python saved on a GPU names cuda:0
        // for its tensors, which would put every rank's copy on GPU 0 (or fail without CUDA).
        // Tensors go to the parameters' devices later.
        auto adapter = std::make_shared<caffe2::serialize::MemoryReadAdapter>(
            bytes.data(), static_cast<off_t>(bytes.size()));
        caffe2::serialize::PyTorchStreamReader reader(adapter);
        root = torch::jit::readArchiveAndTensors("data", "", "", {}, {}, c10::Device(c10::kCPU),
                                                 reader);
    } catch (const c10::Error& e) {
        throw Error(path + ": not a readable " + what + ": " + e.what_without_backtrace());
    }
    if (!root.isGenericDict())
        throw Error(path + ": " + what + " is not a dict");
    return root.toGenericDict();
}

}  // namespace lathe::core::trainer
