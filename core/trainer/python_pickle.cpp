#include "core/trainer/python_pickle.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <string_view>

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

}  // namespace lathe::core::trainer
