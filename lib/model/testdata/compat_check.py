"""Loads the C++ checkpoints written by python_compat_fixture into the Python original
(original_models.py) with load_state_dict(strict=True), and checks that eval-mode logits
and per-head attention probabilities match the C++ ones.
Usage: /usr/bin/python3 compat_check.py DIR"""

import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import original_models  # noqa: E402

DTYPES = {'F32': torch.float32, 'I64': torch.int64}
LOGIT_TOL = 1e-4
ATTENTION_TOL = 1e-5


def read_safetensors(path):
    """A minimal safetensors reader (the safetensors package is not available here)."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop('__metadata__', {})
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        buf = bytearray(body[begin:end])
        t = torch.frombuffer(buf, dtype=DTYPES[entry['dtype']]) if buf else torch.empty(0, dtype=DTYPES[entry['dtype']])
        tensors[name] = t.reshape(entry['shape']).clone()
    return tensors, metadata


def check_close(what, got, want, tol):
    diff = (got - want).abs().max().item()
    print(f'{what}: max |python - c++| = {diff:.3g}')
    if not diff <= tol:
        raise SystemExit(f'FAIL: {what} differs by {diff} (tolerance {tol})')


def dense_attention(model, tokens):
    """Per-head probabilities of every block, from nn.MultiheadAttention itself."""
    x = model.pos_encoder(model.embedding(tokens) * math.sqrt(model.d_model))
    mask = model.causal_mask(tokens.size(1), tokens.device)
    out = []
    for block in model.transformer_blocks:
        h = block.norm1(x)
        _, w = block.self_attn(h, h, h, attn_mask=mask, need_weights=True, average_attn_weights=False)
        out.append(w)
        x = block(x, mask)
    return out


def check_dense(directory):
    state, meta = read_safetensors(os.path.join(directory, 'dense.safetensors'))
    assert meta['kind'] == 'dense', meta
    model = original_models.EnhancedCharTransformer(
        d_model=int(meta['d_model']), nhead=int(meta['heads']), num_layers=int(meta['layers']),
        dim_feedforward=int(meta['ff']), dropout=float(meta['dropout']),
        attention_dropout=float(meta['attention_dropout']),
        activation_dropout=float(meta['activation_dropout']), token_dropout=float(meta['token_dropout']),
        stochastic_depth_prob=float(meta['stochastic_depth']), max_len=int(meta['max_len']))
    model.load_state_dict(state, strict=True)
    assert model.output.weight is model.embedding.weight
    model.eval()
    io, _ = read_safetensors(os.path.join(directory, 'dense_io.safetensors'))
    with torch.no_grad():
        check_close('dense logits', model(io['tokens']), io['logits'], LOGIT_TOL)
        for i, w in enumerate(dense_attention(model, io['tokens'])):
            check_close(f'dense attention layer {i}', w, io[f'attention.{i}'], ATTENTION_TOL)


def check_sparse(directory, name):
    state, meta = read_safetensors(os.path.join(directory, name + '.safetensors'))
    assert meta['kind'] == 'sparse', meta
    heads = int(meta['heads'])
    patterns = original_models.assign_head_patterns(heads, meta['mask_subset'])
    recorded = [int(p) for p in meta['head_patterns'].split(',')]
    if patterns != recorded:
        raise SystemExit(f'FAIL: {name}: head patterns {recorded} recorded, the original assigns {patterns}')
    model = original_models.SparseByteTransformer(
        d_model=int(meta['d_model']), nhead=heads, num_layers=int(meta['layers']),
        dim_feedforward=int(meta['ff']), max_len=int(meta['max_len']), head_patterns=patterns,
        dropout=float(meta['dropout']), token_dropout=float(meta['token_dropout']))
    model.load_state_dict(state, strict=True)
    assert model.output_projection.weight is model.token_embedding.weight
    model.eval()
    io, _ = read_safetensors(os.path.join(directory, name + '_io.safetensors'))
    attention = []
    with torch.no_grad():
        check_close(f'{name} logits', model(io['tokens'], attention), io['logits'], LOGIT_TOL)
    for i, w in enumerate(attention):
        check_close(f'{name} attention layer {i}', w, io[f'attention.{i}'], ATTENTION_TOL)


def main():
    directory = sys.argv[1]
    check_dense(directory)
    check_sparse(directory, 'sparse8')
    check_sparse(directory, 'sparse6')
    print('PASS')


if __name__ == '__main__':
    main()
