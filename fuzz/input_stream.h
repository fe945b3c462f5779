// The fuzz input as a FILE*, delivered the two ways the tools get their input: a regular
// file (its size is known to the reader) or a pipe (it is not).
#ifndef ATTN_FUZZ_INPUT_STREAM_H_
#define ATTN_FUZZ_INPUT_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>

namespace attn::fuzz {

// A stream holding exactly `size` bytes of `data`, positioned at its start; nullptr when
// the bytes do not fit (a pipe is filled before reading, so at most its capacity).
// The caller fcloses it.
FILE* OpenInput(const uint8_t* data, size_t size, bool as_pipe);

}  // namespace attn::fuzz

#endif  // ATTN_FUZZ_INPUT_STREAM_H_
