#!/usr/bin/python3
"""Writes the seed corpus of the .pt fuzz target into fuzz/corpus/pt/ (a few tens of KB):
tiny original models saved by torch.save the ways lib/interop reads them (the training
script's dict and a bare state_dict, as a zip archive and as a legacy stream, float16), and
a few files that are not checkpoints. Each seed is the target's options byte (see
fuzz/pt_fuzz.cc: byte % 3 picks the kind, byte / 3 % 5 the heads) and then the file.

Run from the repository root with Debian's python3-torch: /usr/bin/python3 fuzz/make_pt_seeds.py.
The models come from lib/interop/testdata/make_torch_checkpoints.py, at a tiny size.
"""
import collections
import io
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib', 'interop', 'testdata'))
import make_torch_checkpoints as m  # noqa: E402

ROOT = os.path.join(HERE, 'corpus', 'pt')
TINY = dict(m.DENSE, d_model=8, nhead=2, num_layers=1, dim_feedforward=8)
TINY_SPARSE = dict(m.SPARSE, d_model=8, nhead=2, num_layers=1, dim_feedforward=8, seq_length=16)


def saved(obj, legacy=False):
    out = io.BytesIO()
    torch.save(obj, out, _use_new_zipfile_serialization=not legacy)
    return out.getvalue()


def write(name, options, data):
    with open(os.path.join(ROOT, name), 'wb') as f:
        f.write(bytes([options]) + data)


def training_dict(state, config):
    return {'model_state_dict': state, 'train_losses': [3.1, 2.5], 'val_losses': [3.0, 2.6],
            'config': config, 'seed': 42}


def main():
    os.makedirs(ROOT, exist_ok=True)
    dense = m.perturbed(m.dense_model(TINY, max_len=16), 1).state_dict()
    sparse = m.perturbed(m.sparse_model(TINY_SPARSE), 2).state_dict()
    heads2 = 2 * 3  # options byte: kind inferred, --heads=2
    write('dense_dict_zip', 0, saved(training_dict(dense, TINY)))
    write('dense_dict_legacy', 0, saved(training_dict(dense, TINY), legacy=True))
    write('dense_bare_zip', heads2, saved(dense))
    write('sparse_dict_zip', 2, saved(training_dict(sparse, TINY_SPARSE)))
    write('sparse_bare_legacy', heads2 + 2, saved(sparse, legacy=True))
    half = collections.OrderedDict((k, v.half()) for k, v in dense.items())
    write('dense_float16_zip', 0, saved(training_dict(half, TINY)))
    nan = collections.OrderedDict(dense)
    nan['norm.weight'] = nan['norm.weight'].clone()
    nan['norm.weight'][0] = float('nan')
    write('nan_weight', 0, saved(training_dict(nan, TINY)))
    write('list', 0, saved([1, 2.5, 'three', (4,)]))
    whole = saved(training_dict(dense, TINY))
    write('truncated_zip', 0, whole[:len(whole) // 2])


if __name__ == '__main__':
    main()
