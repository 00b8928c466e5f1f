#pragma once

// The safetensors format: reading (parse, File, Checkpoint) and writing (write_file,
// write_sharded), torch-free.
#include "core/safetensors/checkpoint.h"
#include "core/safetensors/dtype.h"
#include "core/safetensors/file.h"
#include "core/safetensors/header.h"
#include "core/safetensors/writer.h"
