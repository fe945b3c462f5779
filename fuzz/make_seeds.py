#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/NAME/ (a few KB each),
crashers found earlier included, so that they stay fixed.

Run from the repository root with Debian's python3 (python3-numpy): python3
fuzz/make_seeds.py. The npy records come from numpy itself; the first byte of an npy or
head_metrics seed is the target's mode byte, and of a csv seed its delimiter byte (see
each fuzz/NAME_fuzz.cc).
"""
import io
import json
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy(array, version=None):
    out = io.BytesIO()
    if version is None:
        np.save(out, array)
    else:
        np.lib.format.write_array(out, array, version=version)
    return out.getvalue()


def attention(layers, heads, n, seed):
    """Causal softmax rows, [layers, heads, n, n] float32."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (layers, heads, n, n))
    logits[..., np.triu_indices(n, 1)[0], np.triu_indices(n, 1)[1]] = -np.inf
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype("<f4")


# 192-byte records whose 128-byte header claims far more data than the 64 bytes that follow.
HOSTILE_SHAPES = {"1e11x1x1x1": (10**11, 1, 1, 1), "1x2pow31x1x1": (1, 2**31, 1, 1),
                  "1x1x20000x20000": (1, 1, 20000, 20000)}


def hostile(shape):
    header = npy(np.zeros(0, "<f4"))[:8]  # magic and version 1.0
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    text += " " * (128 - 10 - len(text) - 1) + "\n"
    return header + struct.pack("<H", len(text)) + text.encode() + b"\x01" * 64


def npy_seeds():
    for name, shape in HOSTILE_SHAPES.items():
        write("npy", f"claims_{name}_file", b"\x00" + hostile(shape))
        write("npy", f"claims_{name}_pipe", b"\x01" + hostile(shape))
        write("npy", f"claims_{name}_pipe_pieces", b"\x03" + hostile(shape))
    a = np.arange(6, dtype="<f4").reshape(2, 3) / 8
    two = npy(a) + npy(np.array([0.5, -1.25, 3.0, 1e-3], dtype="<f4").reshape(1, 1, 2, 2))
    for mode in (0, 1, 2, 3, 0x1E):
        write("npy", f"two_records_mode{mode}", bytes([mode]) + two)
    write("npy", "v2", b"\x00" + npy(a, (2, 0)))
    write("npy", "v3_pieces", b"\x02" + npy(a, (3, 0)))
    write("npy", "scalar_and_empty", b"\x00" + npy(np.float32(7)) + npy(np.zeros((0, 3), "<f4")))
    write("npy", "one_d_pipe", b"\x01" + npy(np.ones(5, "<f4")))
    write("npy", "f8", b"\x00" + npy(a.astype("<f8")))
    write("npy", "truncated", b"\x01" + two[:-3])


def safetensors(header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    f32 = struct.pack("<2f", 1.0, 2.0)
    write("safetensors", "one_f32", safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, f32))
    write("safetensors", "metadata_scalar_bf16", safetensors({
        "__metadata__": {"kind": "dense", "d_model": "128"},
        "a": {"dtype": "F32", "shape": [2, 1], "data_offsets": [0, 8]},
        "b": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]},
        "c": {"dtype": "BF16", "shape": [2], "data_offsets": [16, 20]},
    }, f32 + struct.pack("<q", 7) + b"\x80\x3f\x00\x40"))
    write("safetensors", "empty_tensor", safetensors(
        {"z": {"dtype": "U8", "shape": [0, 4], "data_offsets": [0, 0]}}, b""))
    write("safetensors", "header_only", safetensors({}, b""))
    write("safetensors", "overlap", safetensors({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, f32))


def csv_seeds():
    write("csv", "head_metrics", b"," + b"layer,head,entropy,sparsity,distance\n"
          b"0,0,1.5,0.25,3.0625\n0,1,0.1,0.9,1e-3\n1,0,2,0.5,7\n")
    write("csv", "quoted_crlf", b"," + b'a,b\r\n"x,""y""",2\r\n\n3,"multi\nline"')
    write("csv", "silhouette_tsv", b"\x01" + b"k\tsilhouette\n2\t0.25\n3\t-0.125\n")
    write("csv", "ragged", b"," + b"a,b\n1,2\n3\n")
    write("csv", "unterminated", b"," + b'a\n"open\n')


def head_metrics_seeds():
    one = npy(attention(1, 2, 4, 1))
    write("head_metrics", "one_record", b"\x00" + one)
    write("head_metrics", "two_records_pipe_2threads", b"\x03" + one + npy(attention(1, 2, 4, 2)))
    write("head_metrics", "two_layers", b"\x02" + npy(attention(2, 1, 6, 3)))
    bad = attention(1, 1, 3, 4)
    bad[0, 0, 1, 0] = np.nan
    write("head_metrics", "nan_entry", b"\x01" + npy(bad))
    write("head_metrics", "shape_mismatch", b"\x00" + one + npy(attention(2, 1, 4, 5)))
    for name, shape in HOSTILE_SHAPES.items():
        write("head_metrics", f"claims_{name}_file", b"\x00" + hostile(shape))
        # Through a pipe the reader cannot check the claim: the head-metrics core must
        # allocate only as the data arrives.
        write("head_metrics", f"pipe_claims_{name}", b"\x01" + hostile(shape))


if __name__ == "__main__":
    npy_seeds()
    safetensors_seeds()
    csv_seeds()
    head_metrics_seeds()
