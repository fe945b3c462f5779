#!/usr/bin/env python3
"""Reads an attention stream (dump_attention's output: concatenated .npy records, one
[layers, heads, L, L] float32 array per sequence) from a file or a pipe.

As a module:
    from read_attention import records
    for a in records(sys.stdin.buffer):     # or open('dense.npy', 'rb')
        print(a.shape)

From the shell, one line per record:
    dump_attention ... | python3 scripts/read_attention.py      # or: read_attention.py FILE

Repeated np.load(f) cannot do this: it seeks, so on a pipe it fails ("File or stream is not
seekable"), and at the end of a file it raises a pickle error instead of stopping. records()
reads the header with numpy's own format functions and then exactly the data's bytes, never
seeking, and stops cleanly at the end of the stream. A stream that ends inside a record
raises ValueError.
"""
import io
import sys

import numpy as np

MAGIC_BYTES = 8  # b'\x93NUMPY' and the major, minor version


def _read_exactly(f, n, what):
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"truncated stream: {what} has {len(data)} of {n} bytes")
    return data


def records(f):
    """Yields the stream's records as numpy arrays, in order, from a binary file object."""
    while True:
        magic = f.read(MAGIC_BYTES)
        if not magic:
            return
        if len(magic) != MAGIC_BYTES:
            raise ValueError(f"truncated stream: a record starts with {len(magic)} bytes")
        version = np.lib.format.read_magic(io.BytesIO(magic))
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
        count = int(np.prod(shape))
        data = _read_exactly(f, count * dtype.itemsize, f"a record of shape {shape}")
        yield np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def main(argv):
    path = argv[1] if len(argv) > 1 else "-"
    try:
        with (open(path, "rb") if path != "-" else sys.stdin.buffer) as f:
            n = 0
            for n, a in enumerate(records(f), 1):
                print(f"record {n - 1}: shape {a.shape}, {a.dtype}, sum {a.sum(dtype=np.float64):.6g}")
    except (OSError, ValueError) as e:
        print(f"read_attention.py: {path}: {e}", file=sys.stderr)
        return 1
    print(f"{n} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
