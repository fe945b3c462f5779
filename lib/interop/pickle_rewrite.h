// What LibTorch's own pickle reader lacks for torch.save files, and nothing more.
//
// LibTorch 1.13's torch::jit::Unpickler (torch/csrc/jit/serialization/unpickler.h) reads
// the protocol-2 pickles that torch.save writes, except for five constructs of Python's
// pickler that every checkpoint of the original holds:
//  - collections.OrderedDict, which every state_dict() is: LibTorch turns it into None
//    (it expects one only as a tensor's empty backward hooks), so the dict's items fail;
//  - BUILD on that OrderedDict (its `_metadata` attribute): LibTorch runs BUILD as REDUCE;
//  - APPEND and SETITEM, which Python writes for a list or dict of one element (a
//    one-epoch loss list; every entry of a state_dict's _metadata): unknown to LibTorch;
//  - LONG1 integers shorter than 8 bytes (Python writes |n| >= 2^31 in the fewest bytes).
// RewritePickle scans one pickle and rewrites exactly those into opcodes LibTorch reads
// with the same meaning (an empty dict; an item under kObjectStateKey; MARK + APPENDS or
// SETITEMS; an 8-byte LONG1). On the way it checks what LibTorch's reader takes on trust (it indexes
// its stack unchecked for an odd number of dict items, and maps any integer to a dtype),
// so a hostile pickle is an error here, never undefined behaviour there: the stack and
// mark discipline, memo ids, the Python globals (tensors, storages and OrderedDict only),
// the storage record of each tensor, recursive containers and nesting depth.
#ifndef ATTN_LIB_INTEROP_PICKLE_REWRITE_H_
#define ATTN_LIB_INTEROP_PICKLE_REWRITE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace attn::interop {

// The dict key under which a rewritten BUILD stores an OrderedDict's attribute state; the
// reader removes it. A NUL keeps it apart from any key Python code writes in practice.
inline constexpr std::string_view kObjectStateKey = std::string_view("\0attn:object_state", 18);

// Containers nested deeper than this are refused (a state_dict checkpoint nests 3 deep).
inline constexpr int kMaxPickleDepth = 64;

struct RewrittenPickle {
  std::string bytes;    // the pickle for torch::jit::Unpickler
  size_t consumed = 0;  // bytes of `input` read, up to and including STOP
};

// Rewrites the pickle at the start of `input` (more bytes may follow it). Errors are
// DataLoss and say what was found at which byte offset.
absl::StatusOr<RewrittenPickle> RewritePickle(std::string_view input);

}  // namespace attn::interop

#endif  // ATTN_LIB_INTEROP_PICKLE_REWRITE_H_
