// Reads a file that Python's torch.save wrote, with LibTorch's own pickle reader.
//
// Two containers exist. The zip archive (torch.save's default since PyTorch 1.6) holds
// `<name>/data.pkl` and one stored record `<name>/data/<key>` per tensor storage; it is
// read with libzip, not LibTorch's PyTorchStreamReader, because that one allocates each
// record at the size the zip directory claims, before reading it (a hostile header can ask
// for any amount). The legacy stream (`_use_new_zipfile_serialization=False`), which
// LibTorch cannot read at all (pickle_load expects a zip), is five pickles -- a magic
// number, the protocol version 1001, a system-info dict, the object, the storage keys --
// followed by each storage as an int64 element count and its raw little-endian bytes.
// In both, each pickle goes through RewritePickle (pickle_rewrite.h) and then
// torch::jit::Unpickler; each storage's bytes are checked against the size its tensors
// need before any tensor is touched. Tensors are mapped to the CPU (a checkpoint saved
// on CUDA reads as one saved on the CPU).
#ifndef ATTN_LIB_INTEROP_TORCH_SAVE_READER_H_
#define ATTN_LIB_INTEROP_TORCH_SAVE_READER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "torch/torch.h"

namespace attn::interop {

// The object torch.save wrote: dicts, lists, tuples, strings, numbers and CPU tensors
// (an OrderedDict reads as a dict in its order, without its attributes). Never throws;
// every failure (a truncated or foreign file, a TorchScript archive, a pickle of Python
// objects) is one DataLoss error starting with `source`. The entry point for fuzzing.
absl::StatusOr<c10::IValue> ReadTorchSave(std::string_view bytes, const std::string& source);

}  // namespace attn::interop

#endif  // ATTN_LIB_INTEROP_TORCH_SAVE_READER_H_
