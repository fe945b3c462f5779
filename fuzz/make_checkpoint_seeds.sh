#!/usr/bin/env bash
# Writes the seed corpus of the checkpoint fuzz target into fuzz/corpus/checkpoint/ (about
# 100 KB): tiny dense and sparse checkpoints trained for two steps by train_dense and
# train_sparse (the dense positional table cut to 16 rows, with max_len to match), and
# variants with the hostile metadata and weights that once crashed or hung the tools
# (a huge d_model, max_len or layer count, a non-number or overflowing seq_len, a NaN weight).
#   bash fuzz/make_checkpoint_seeds.sh     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //tools:train_dense //tools:train_sparse >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -c "import random; r = random.Random(1); open('$tmp/t.u8', 'wb').write(bytes(r.randrange(256) for _ in range(3000)))"
tiny=(--train="$tmp/t.u8" --valid="$tmp/t.u8" --d_model=8 --heads=2 --layers=1 --ff=8 --seq_len=8
      --batch_size=2 --max_steps=2 --eval_batches=1 --threads=1)
bazel-bin/tools/train_dense "${tiny[@]}" --output="$tmp/dense.safetensors" 2>/dev/null
bazel-bin/tools/train_sparse "${tiny[@]}" --output="$tmp/sparse.safetensors" 2>/dev/null
python3 - "$tmp" fuzz/corpus/checkpoint <<'PY'
import json, os, struct, sys

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop('__metadata__')
    data = b[8 + n:]
    tensors = {k: (v['dtype'], v['shape'], data[v['data_offsets'][0]:v['data_offsets'][1]]) for k, v in header.items()}
    return meta, tensors

def write(name, meta, tensors):
    header, blobs, offset = {'__metadata__': meta}, [], 0
    for k in sorted(tensors):
        dtype, shape, blob = tensors[k]
        header[k] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    open(os.path.join(out, name), 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

dense_meta, dense = read(os.path.join(src, 'dense.safetensors'))
dtype, shape, blob = dense['pos_encoder.pe']
dense['pos_encoder.pe'] = (dtype, [16, shape[1]], blob[:16 * shape[1] * 4])
dense_meta['max_len'] = '16'
sparse_meta, sparse = read(os.path.join(src, 'sparse.safetensors'))
write('dense', dense_meta, dense)
write('sparse', sparse_meta, sparse)
for key, value in [('d_model', '4000000'), ('max_len', '4000000000'), ('layers', '100000000'),
                   ('seq_len', 'abc'), ('seq_len', '99999999999999999999')]:
    write(f'dense_{key}_{value[:12]}', dict(dense_meta, **{key: value}), dense)
write('sparse_heads_4000000', dict(sparse_meta, heads='4000000'), sparse)
nan = dict(dense)
dtype, shape, blob = nan['norm.weight']
nan['norm.weight'] = (dtype, shape, struct.pack('<f', float('nan')) + blob[4:])
write('dense_nan_weight', dense_meta, nan)
PY
ls -l fuzz/corpus/checkpoint >&2
