"""PyTorch checkpoints of the original models, written the ways a researcher has them, with
the Python modules' own logits and per-head attention for a token batch, for the import
tests to compare against.

  make_torch_checkpoints.py make DIR
      For each case NAME: DIR/NAME.pt; DIR/NAME.ref.npy, a stream of .npy records (the
      tokens [B, L] as float32, the logits [B, L, 256], then each layer's attention
      [B, heads, L, L]); DIR/NAME.u8, the same tokens as bytes (B windows of L); and
      DIR/cases.txt, one line per case: NAME HEADS (the --heads a bare state_dict needs,
      else 0). Also files that are not checkpoints, for the error tests (see FOREIGN).
  make_torch_checkpoints.py check-dump REF.npy DUMP.npy
      Checks that a dump_attention stream of NAME.u8 (num_seqs B, seq_len L) holds the
      Python attention of REF.npy, to 1e-5.

Usage: /usr/bin/python3 make_torch_checkpoints.py ... (Debian's python3-torch)."""

import collections
import os
import sys
import zipfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'model', 'testdata'))
import compat_check  # noqa: E402  (its dense_attention)
import original_models  # noqa: E402

ATTENTION_TOL = 1e-5

DENSE = dict(vocab_size=256, d_model=32, nhead=4, num_layers=2, dim_feedforward=16, dropout=0.1,
             attention_dropout=0.1, activation_dropout=0.1, token_dropout=0.05, use_checkpoint=True,
             stochastic_depth_prob=0.1, seed=42, num_epochs=20)
SPARSE = dict(DENSE, nhead=8, dim_feedforward=48, dropout=0.05, token_dropout=0.02, seq_length=48,
              mask_subset='')


def dense_model(config, max_len=64):
    return original_models.EnhancedCharTransformer(
        vocab_size=config['vocab_size'], d_model=config['d_model'], nhead=config['nhead'],
        num_layers=config['num_layers'], dim_feedforward=config['dim_feedforward'], dropout=config['dropout'],
        attention_dropout=config['attention_dropout'], activation_dropout=config['activation_dropout'],
        token_dropout=config['token_dropout'], stochastic_depth_prob=config['stochastic_depth_prob'],
        max_len=max_len, use_checkpoint=config['use_checkpoint'])


def sparse_model(config):
    patterns = original_models.assign_head_patterns(config['nhead'], config['mask_subset'])
    return original_models.SparseByteTransformer(
        d_model=config['d_model'], nhead=config['nhead'], num_layers=config['num_layers'],
        dim_feedforward=config['dim_feedforward'], max_len=config['seq_length'], head_patterns=patterns,
        dropout=config['dropout'], token_dropout=config['token_dropout'])


def perturbed(model, seed):
    """Noise on every parameter, so that ones and zeros (gammas, alpha, biases) cannot hide
    a misplaced tensor."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def write_reference(directory, name, model, kind, seq_len, seed):
    torch.manual_seed(seed)
    tokens = torch.randint(0, 256, (2, seq_len))
    with torch.no_grad():
        if kind == 'dense':
            masks = [model.causal_mask(tokens.size(1), tokens.device)] * len(model.transformer_blocks)
            logits, attention = model(tokens), compat_check.dense_forward(model, tokens, masks)[1]
        else:
            attention = []
            logits = model(tokens, attention)
    with open(os.path.join(directory, name + '.ref.npy'), 'wb') as f:
        for array in [tokens.float(), logits] + attention:
            np.save(f, array.numpy().astype(np.float32))
    with open(os.path.join(directory, name + '.u8'), 'wb') as f:
        f.write(bytes(tokens.flatten().tolist()))


def save(obj, path, legacy):
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)


def make(directory):
    cases = []

    def case(name, kind, config, obj_of, legacy=False, dtype=None, heads=0, seed=1):
        model = perturbed(dense_model(config) if kind == 'dense' else sparse_model(config), seed)
        state = model.state_dict()
        if dtype is not None:
            # What the file holds is what the model computes with: round, then reload.
            state = collections.OrderedDict((k, v.to(dtype)) for k, v in state.items())
            model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
        save(obj_of(state, config), os.path.join(directory, name + '.pt'), legacy)
        write_reference(directory, name, model, kind, 24 if kind == 'dense' else 40, seed)
        cases.append(f'{name} {heads}\n')

    def training_dict(state, config, train_losses=(3.1, 2.5), val_losses=(3.0, 2.6), seed=42):
        # As the original's training script saves it.
        return {'model_state_dict': state, 'train_losses': list(train_losses), 'val_losses': list(val_losses),
                'config': config, 'seed': seed}

    def bare(state, config):
        return state

    case('dense_dict_zip', 'dense', DENSE, training_dict)
    case('dense_dict_legacy', 'dense', DENSE, training_dict, legacy=True, seed=2)
    case('dense_bare_zip', 'dense', DENSE, bare, heads=4, seed=3)
    case('dense_bare_legacy', 'dense', DENSE, bare, legacy=True, heads=4, seed=4)
    # One epoch (a one-element list), a seed beyond 32 bits, and an optimizer state to ignore.
    case('dense_one_epoch', 'dense', dict(DENSE, seed=2**40), lambda s, c: dict(
        training_dict(s, c, [3.25], [3.5], 2**40), optimizer_state_dict={'state': {}}), seed=5)
    case('dense_float16', 'dense', DENSE, training_dict, dtype=torch.float16, seed=6)
    case('dense_bfloat16', 'dense', DENSE, training_dict, legacy=True, dtype=torch.bfloat16, seed=7)
    case('dense_float64', 'dense', DENSE, training_dict, dtype=torch.float64, seed=8)
    case('sparse_dict_zip', 'sparse', SPARSE, training_dict, seed=9)
    case('sparse_dict_legacy', 'sparse', SPARSE, training_dict, legacy=True, seed=10)
    case('sparse_bare_zip', 'sparse', SPARSE, bare, heads=8, seed=11)
    case('sparse_subset_legacy', 'sparse', dict(SPARSE, mask_subset='03'), training_dict, legacy=True, seed=12)
    with open(os.path.join(directory, 'cases.txt'), 'w') as f:
        f.writelines(cases)
    make_foreign(directory)


# Files that are not checkpoints of the original models: name -> what the error must say.
FOREIGN = {
    'truncated_zip': 'truncated',
    'truncated_legacy': 'truncated',
    'random_zip': 'without data.pkl',
    'torchscript': 'TorchScript',
    'whole_module': 'original_models.EnhancedCharTransformer',
    'list': 'neither the original',
    'text': 'neither a torch.save zip archive nor a legacy',
    'wrong_layers': 'config num_layers = 3',
    'nan_weight': 'NaN',
    'untied': 'output.weight differs from embedding.weight',
    'integer_weight': 'not floating point',
}


def make_foreign(directory):
    def path(name):
        return os.path.join(directory, name + '.pt')

    for name in ('dense_dict_zip', 'dense_dict_legacy'):
        with open(path(name), 'rb') as f:
            data = f.read()
        with open(path('truncated_' + name.split('_')[-1]), 'wb') as f:
            f.write(data[:len(data) // 2])
    with zipfile.ZipFile(path('random_zip'), 'w') as z:
        z.writestr('notes.txt', 'not a checkpoint')
    torch.jit.script(nn.Linear(2, 2)).save(path('torchscript'))
    model = perturbed(dense_model(DENSE), 13)
    torch.save(model, path('whole_module'))
    torch.save([1, 2, 3], path('list'))
    with open(path('text'), 'w') as f:
        f.write('hello\n')
    state = model.state_dict()
    torch.save({'model_state_dict': state, 'config': dict(DENSE, num_layers=3)}, path('wrong_layers'))
    bad = collections.OrderedDict(state)
    bad['norm.weight'] = bad['norm.weight'].clone()
    bad['norm.weight'][0] = float('nan')
    torch.save({'model_state_dict': bad, 'config': DENSE}, path('nan_weight'))
    untied = collections.OrderedDict(state)
    untied['output.weight'] = untied['output.weight'] + 1
    torch.save({'model_state_dict': untied, 'config': DENSE}, path('untied'))
    integer = collections.OrderedDict(state)
    integer['norm.bias'] = integer['norm.bias'].long()
    torch.save({'model_state_dict': integer, 'config': DENSE}, path('integer_weight'))
    with open(os.path.join(directory, 'foreign.txt'), 'w') as f:
        f.writelines(f'{name}\t{message}\n' for name, message in FOREIGN.items())


def read_npy_stream(path):
    arrays = []
    with open(path, 'rb') as f:
        while f.peek(1):
            arrays.append(np.load(f))
    return arrays


def check_dump(reference, dump):
    ref = read_npy_stream(reference)
    attention = ref[2:]  # per layer [B, heads, L, L]
    records = read_npy_stream(dump)  # per sequence [layers, heads, L, L]
    if len(records) != attention[0].shape[0]:
        raise SystemExit(f'FAIL: {len(records)} records in {dump}, expected {attention[0].shape[0]}')
    worst = max(float(np.abs(records[b][i] - attention[i][b]).max())
                for b in range(len(records)) for i in range(len(attention)))
    print(f'dump_attention: max |python - c++| = {worst:.3g}')
    if not worst <= ATTENTION_TOL:
        raise SystemExit(f'FAIL: attention differs by {worst} (tolerance {ATTENTION_TOL})')


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'make':
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == 'check-dump':
        check_dump(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main()
