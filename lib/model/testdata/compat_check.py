"""Loads the C++ checkpoints written by python_compat_fixture into the Python original
(original_models.py) with load_state_dict(strict=True), and checks that eval-mode logits
and per-head attention probabilities match the C++ ones. The dense model with attention
patterns is checked against the original module given each head's pattern as its
nn.MultiheadAttention mask, built here from the metadata's pattern file. Then writes checkpoints of
Python-made models (python_<name>.safetensors, in state_dict order, tied weight under both
names) with their inputs and logits, for the fixture's `verify` step to load in C++.
Usage: /usr/bin/python3 compat_check.py DIR"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'scripts'))
import original_models  # noqa: E402
import safetensors_io  # noqa: E402

DTYPES = {'F32': torch.float32, 'I64': torch.int64}
LOGIT_TOL = 1e-4
ATTENTION_TOL = 1e-5


def read_safetensors(path):
    """The tensors of a safetensors file as torch tensors, and its metadata."""
    tensors, metadata = safetensors_io.read(path)
    return {name: (torch.frombuffer(bytearray(t.data), dtype=DTYPES[t.dtype]) if t.data
                   else torch.empty(0, dtype=DTYPES[t.dtype])).reshape(t.shape).clone()
            for name, t in tensors.items()}, metadata


def write_safetensors(path, tensors, metadata):
    """Torch tensors to a safetensors file, in the given order (not sorted, unlike ours)."""
    dtypes = {v: k for k, v in DTYPES.items()}
    safetensors_io.write(path, {name: safetensors_io.Tensor(dtypes[t.dtype], list(t.shape),
                                                            t.detach().contiguous().numpy().tobytes())
                                for name, t in tensors.items()}, metadata)


def write_python_checkpoint(directory, name, model, metadata, seq_len, forward=None):
    torch.manual_seed(11)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    model.eval()
    write_safetensors(os.path.join(directory, f'python_{name}.safetensors'), model.state_dict(), metadata)
    tokens = torch.randint(0, 256, (2, seq_len))
    with torch.no_grad():
        logits = model(tokens) if forward is None else forward(model, tokens)
    write_safetensors(os.path.join(directory, f'python_{name}_io.safetensors'),
                      {'tokens': tokens, 'logits': logits}, {})


def check_close(what, got, want, tol):
    diff = (got - want).abs().max().item()
    print(f'{what}: max |python - c++| = {diff:.3g}')
    if not diff <= tol:
        raise SystemExit(f'FAIL: {what} differs by {diff} (tolerance {tol})')


def rule_allows(pattern, i, j, L):
    """A pattern-file pattern, read here on its own: band, stride columns, anchors; causal."""
    if j > i:
        return False
    window = pattern.get('window')
    if window is not None and (window == -1 or i - j <= window):
        return True
    stride = pattern.get('stride', 0)
    if stride > 0 and j % stride == 0:
        return True
    return any(j == min(L - 1, int(math.floor(r * (L - 1)))) for r in pattern.get('anchors', []))


def block_masks(meta, layers, heads, L, batch):
    """Per block, the nn.MultiheadAttention mask: the causal mask, or with "patterns" in the
    metadata a [batch * heads, L, L] mask (True: may not attend) of each head's pattern."""
    if 'patterns' not in meta:
        return [original_models.EnhancedCharTransformer.causal_mask(L, 'cpu')] * layers
    spec = json.loads(meta['patterns'])
    names = spec['heads'] if isinstance(spec['heads'][0], list) else [spec['heads']] * layers
    masks = []
    for layer in names:
        m = torch.zeros(heads, L, L, dtype=torch.bool)
        for h, name in enumerate(layer):
            for i in range(L):
                for j in range(L):
                    m[h, i, j] = not rule_allows(spec['patterns'][name], i, j, L)
        masks.append(m.repeat(batch, 1, 1))
    return masks


def dense_forward(model, tokens, masks):
    """The original's eval forward with a given mask per block; logits and per-head
    probabilities of every block, from nn.MultiheadAttention itself."""
    x = model.pos_encoder(model.embedding(tokens) * math.sqrt(model.d_model))
    attention = []
    for block, mask in zip(model.transformer_blocks, masks):
        h = block.norm1(x)
        _, w = block.self_attn(h, h, h, attn_mask=mask, need_weights=True, average_attn_weights=False)
        attention.append(w)
        x = block(x, mask)
    return model.output(model.norm(x)), attention


def check_dense(directory, name):
    state, meta = read_safetensors(os.path.join(directory, name + '.safetensors'))
    assert meta['kind'] == 'dense', meta
    layers, heads = int(meta['layers']), int(meta['heads'])
    model = original_models.EnhancedCharTransformer(
        d_model=int(meta['d_model']), nhead=heads, num_layers=layers,
        dim_feedforward=int(meta['ff']), dropout=float(meta['dropout']),
        attention_dropout=float(meta['attention_dropout']),
        activation_dropout=float(meta['activation_dropout']), token_dropout=float(meta['token_dropout']),
        stochastic_depth_prob=float(meta['stochastic_depth']), max_len=int(meta['max_len']))
    model.load_state_dict(state, strict=True)
    assert model.output.weight is model.embedding.weight
    model.eval()
    io, _ = read_safetensors(os.path.join(directory, name + '_io.safetensors'))
    tokens = io['tokens']
    with torch.no_grad():
        if 'patterns' not in meta:
            check_close(f'{name} logits (the module itself)', model(tokens), io['logits'], LOGIT_TOL)
        logits, attention = dense_forward(model, tokens, block_masks(meta, layers, heads, tokens.size(1),
                                                                     tokens.size(0)))
        check_close(f'{name} logits', logits, io['logits'], LOGIT_TOL)
        for i, w in enumerate(attention):
            check_close(f'{name} attention layer {i}', w, io[f'attention.{i}'], ATTENTION_TOL)
    write_python_checkpoint(directory, name, model, meta, 20,
                            lambda m, t: dense_forward(m, t, block_masks(meta, layers, heads, t.size(1), t.size(0)))[0])


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
    write_python_checkpoint(directory, name, model, meta, 35)


def main():
    directory = sys.argv[1]
    check_dense(directory, 'dense')
    check_dense(directory, 'dense_patterns')
    check_sparse(directory, 'sparse8')
    check_sparse(directory, 'sparse6')
    print('PASS')


if __name__ == '__main__':
    main()
