"""Safetensors files with the standard library alone (the safetensors package is not
installed here): an 8-byte little-endian header size, the JSON header (each tensor's dtype,
shape and data_offsets; string metadata under __metadata__), then the tensors' bytes.
The one reader and writer of the project's Python scripts and test checks; tensors are
raw bytes (wrap them with array, numpy or torch as the caller needs)."""
import collections
import json
import struct

Tensor = collections.namedtuple("Tensor", "dtype shape data")


def read_header(path):
    """Returns (entries, metadata, data_start): the header's tensor entries (in file order),
    its metadata and the offset of the first tensor byte; reads no tensor data. Raises
    ValueError for a file too short to hold its header."""
    with open(path, "rb") as f:
        size_bytes = f.read(8)
        if len(size_bytes) != 8:
            raise ValueError("shorter than a safetensors header")
        (n,) = struct.unpack("<Q", size_bytes)
        text = f.read(n)
    if len(text) != n:
        raise ValueError("truncated header")
    entries = json.loads(text)
    metadata = entries.pop("__metadata__", {})
    return entries, metadata, 8 + n


def read(path):
    """Returns (tensors, metadata): tensors maps each name (in file order) to a Tensor."""
    entries, metadata, start = read_header(path)
    with open(path, "rb") as f:
        body = f.read()[start:]
    tensors = {}
    for name, entry in entries.items():
        begin, end = entry["data_offsets"]
        if end > len(body):
            raise ValueError(f"tensor {name} ends past the file")
        tensors[name] = Tensor(entry["dtype"], list(entry["shape"]), body[begin:end])
    return tensors, metadata


def write(path, tensors, metadata=None):
    """Writes tensors (a mapping from name to Tensor) in the mapping's order, with metadata
    (a mapping of strings) first in the header."""
    header = {"__metadata__": dict(metadata or {})}
    offset = 0
    for name, t in tensors.items():
        header[name] = {"dtype": t.dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(t.data)]}
        offset += len(t.data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(t.data for t in tensors.values()))
