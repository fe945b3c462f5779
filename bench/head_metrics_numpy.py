"""The peer of bench/head_metrics_vs_numpy.sh: the Python original's per-matrix head-metric
computation as numpy code (its definitions: docs/design.md, head metrics), reading the
attention stream with repeated np.load(f) and measuring one [L, L] head matrix at a time.

  head_metrics_numpy.py generate OUT.npy RECORDS LAYERS HEADS L   # random causal softmax
  head_metrics_numpy.py measure IN.npy OUT.csv                    # the peer itself
"""
import sys

import numpy as np


def matrix_metrics(attn):
    """One head of one sequence, [L, L] float32, as the original computes it."""
    attn = attn / (attn.sum(axis=-1, keepdims=True) + 1e-9)
    entropy = -(attn * np.log(attn + 1e-9)).sum(axis=-1).mean()
    sparsity = (attn < 1e-4).mean()
    positions = np.arange(attn.shape[-1])
    dist = np.abs(positions[:, None] - positions[None, :])
    distance = (attn * dist).sum() / attn.sum()
    return entropy, sparsity, distance


def measure(path, out):
    sums, records = None, 0
    with open(path, 'rb') as f:
        while f.peek(1):
            record = np.load(f)
            layers, heads = record.shape[:2]
            if sums is None:
                sums = np.zeros((layers, heads, 3))
            for layer in range(layers):
                for head in range(heads):
                    sums[layer, head] += matrix_metrics(record[layer, head])
            records += 1
    with open(out, 'w') as f:
        f.write('layer,head,entropy,sparsity,distance\n')
        for layer in range(sums.shape[0]):
            for head in range(sums.shape[1]):
                e, s, d = sums[layer, head] / records
                f.write(f'{layer},{head},{e!r},{s!r},{d!r}\n')


def generate(path, records, layers, heads, length):
    """Causal softmax of N(0, 2) logits, as bench/head_metrics_throughput.cc makes them."""
    rng = np.random.default_rng(0)
    causal = np.tril(np.ones((length, length), dtype=bool))
    with open(path, 'wb') as f:
        for _ in range(records):
            record = np.empty((layers, heads, length, length), dtype=np.float32)
            for layer in range(layers):
                for head in range(heads):
                    logits = rng.normal(0, 2, (length, length))
                    logits[~causal] = -np.inf
                    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
                    record[layer, head] = e / e.sum(axis=-1, keepdims=True)
            np.save(f, record)


if __name__ == '__main__':
    if sys.argv[1] == 'generate':
        generate(sys.argv[2], *map(int, sys.argv[3:7]))
    else:
        measure(sys.argv[2], sys.argv[3])
