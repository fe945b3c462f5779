#!/usr/bin/env python3
"""What the pipeline's scripts need from a checkpoint, read from its safetensors header alone
(the JSON after the 8-byte little-endian header size; no tensor data, no LibTorch):

  checkpoint.py meta FILE KEY               the metadata value of KEY ('' when absent)
  checkpoint.py params FILE                 the trainable parameters, e.g. 297,984
  checkpoint.py patterns FILE LAYER HEADS   the attention pattern of each head (HEADS: 0,1,3,6)
                                            of LAYER, one name per head, space-separated; nothing
                                            for a model without patterns (full causal attention)

Exit 1 with one line on stderr for a file that is not a safetensors checkpoint.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

# The original's pattern numbers (the `head_patterns` metadata of sparse checkpoints) and
# their names in pattern files (docs/design.md, section 6).
PATTERN_NAMES = {"0": "local8", "1": "strided", "2": "global", "3": "local16"}

# Tensors that are not trainable parameters: the positional table (a buffer) and the output
# weights, which are the embedding under a second name (tied).
NOT_PARAMETERS = {"pos_encoder.pe", "output.weight", "output_projection.weight"}


def params(tensors):
    total = 0
    for name, info in tensors.items():
        if name not in NOT_PARAMETERS:
            size = 1
            for d in info["shape"]:
                size *= d
            total += size
    return total


def head_patterns(metadata, layer, heads):
    """The pattern names of HEADS in LAYER: from `patterns` (the pattern-file JSON: `heads` is
    one list for every layer or one list per layer), else from the `head_patterns` digits; []
    when the checkpoint has neither."""
    if metadata.get("patterns"):
        assigned = json.loads(metadata["patterns"])["heads"]
        if assigned and isinstance(assigned[0], list):
            assigned = assigned[layer]
    elif metadata.get("head_patterns"):
        assigned = [PATTERN_NAMES[p] for p in metadata["head_patterns"].split(",")]
    else:
        return []
    return [assigned[h] for h in heads]


def main(argv):
    if len(argv) < 3 or argv[1] not in ("meta", "params", "patterns"):
        print(__doc__, file=sys.stderr)
        return 2
    command, path = argv[1], argv[2]
    try:
        tensors, metadata, _ = safetensors_io.read_header(path)
        if command == "meta":
            print(metadata.get(argv[3], ""))
        elif command == "params":
            print(f"{params(tensors):,}")
        else:
            heads = [int(h) for h in argv[4].split(",")]
            print(" ".join(head_patterns(metadata, int(argv[3]), heads)))
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"checkpoint.py: {path}: not a checkpoint this script can read ({e}); "
              "give a .safetensors file written by train_dense or train_sparse", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
