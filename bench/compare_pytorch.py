"""The Python side of bench/compare_pytorch.sh: training tokens/s of our tools against the
project's PyTorch transcription of the original modules (lib/model/testdata/original_models.py)
on Debian's python3-torch, configured as a good user would (bf16 CPU autocast when asked,
gradient checkpointing off, the mask of the sparse model built once, the same threads, and
the same passive waiting of OpenMP and OpenBLAS threads as our tools).

The two sides run alternately (ours, PyTorch, ours, ...), each in a fresh process; a side's
figure is the median over its runs of the median per-step tokens/s after the first step.
Our achieved GFLOP/s counts the model's matmul FLOPs analytically (forward + backward = 3 x
forward; the attention's products over the pairs the pattern allows, causal pairs for dense)
and is shown as a fraction of the 1024 x 1024 matmul rate measured in the same run."""

import argparse
import json
import math
import os
import pty
import re
import select
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib', 'model', 'testdata'))

# The original's residual dropouts, on both sides.
DROPOUT = {'dense': 0.1, 'sparse': 0.05}
STOCHASTIC_DEPTH = 0.1  # the dense model's, on both sides


def allowed_keys_per_query(kind, seq_len, heads):
    """Mean over heads and queries of the keys a query attends to."""
    if kind == 'dense':
        return (seq_len + 1) / 2
    import original_models as om
    patterns = om.assign_head_patterns(heads)
    total = 0
    for p in patterns:
        total += int(pattern_mask(p, seq_len).sum())
    return total / (heads * seq_len)


def expected_layers(kind, layers):
    """Blocks run per step on average (the dense model skips block i > 0 with p = sdp i / n)."""
    if kind == 'sparse':
        return layers
    return 1 + sum(1 - STOCHASTIC_DEPTH * i / layers for i in range(1, layers))


def train_flops_per_token(kind, seq_len, d, heads, layers, ff):
    """Matmul FLOPs of one training token: 3 x the forward's (2 per multiply-add)."""
    keys = allowed_keys_per_query(kind, seq_len, heads)
    attention = 4 * d * keys  # q k^T and p v over the allowed keys, all heads
    if kind == 'dense':
        block = 8 * d * d + 2 * 2 * d * (2 * ff) + attention  # qkv+out, ff d->2ff->d
        forward = 2 * 2 * d * d + expected_layers(kind, layers) * block + 2 * d * 256
    else:
        block = 8 * d * d + 2 * 2 * d * ff + attention
        forward = layers * block + 2 * d * 256
    return 3 * forward


def pattern_mask(pattern, seq_len):
    """The original's pattern_allows as a tensor, vectorised (checked against it below)."""
    import torch
    import original_models as om
    i = torch.arange(seq_len).unsqueeze(1)
    j = torch.arange(seq_len).unsqueeze(0)
    causal = j <= i
    if pattern in (0, 3):
        m = (i - j) <= (8 if pattern == 0 else 16)
    elif pattern == 1:
        m = ((i - j) <= 32) | ((j % 8 == 0) & (seq_len >= 8))
    else:
        anchors = torch.zeros(seq_len, dtype=torch.bool)
        for r in om.ANCHOR_RATIOS:
            anchors[min(seq_len - 1, int(math.floor(r * (seq_len - 1))))] = True
        m = ((j % 16 == 0) & (seq_len >= 16)) | anchors.unsqueeze(0)
    return m & causal


def check_pattern_mask():
    import original_models as om
    for L in (1, 9, 17, 40):
        for p in range(4):
            m = pattern_mask(p, L)
            for a in range(L):
                for b in range(L):
                    assert bool(m[a, b]) == om.pattern_allows(p, a, b, L), (p, L, a, b)


def pytorch_worker(a):
    """One PyTorch training run; prints {"tokens_per_s": [...], "tokens_per_cpu_s": [...]}, one per step."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    import original_models as om

    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    if a.kind == 'dense':
        model = om.EnhancedCharTransformer(d_model=a.d_model, nhead=a.heads, num_layers=a.layers,
                                           dim_feedforward=a.ff, dropout=DROPOUT['dense'],
                                           stochastic_depth_prob=STOCHASTIC_DEPTH,
                                           use_checkpoint=False)
    else:
        check_pattern_mask()
        patterns = om.assign_head_patterns(a.heads)
        model = om.SparseByteTransformer(a.d_model, a.heads, a.layers, a.ff, a.seq_len, patterns,
                                         dropout=DROPOUT['sparse'])
        # The original rebuilds the mask with Python loops on every call; a good user builds
        # it once. The masked computation itself is the original's.
        mask = torch.stack([pattern_mask(p, a.seq_len) for p in patterns])
        for layer in model.transformer_encoder:
            layer.self_attn.build_mask = lambda L, m=mask: m
    model.train()
    decay = [p for n, p in model.named_parameters() if 'bias' not in n]
    no_decay = [p for n, p in model.named_parameters() if 'bias' in n]
    optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1},
                                   {'params': no_decay, 'weight_decay': 0.0}],
                                  lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    data = torch.from_numpy(np.fromfile(a.corpus, dtype=np.uint8).astype(np.int64))
    window = a.batch * (a.seq_len + 1)
    rates, cpu_rates = [], []
    for step in range(a.steps):
        start = (step * window) % (len(data) - window)
        chunk = data[start:start + window].view(a.batch, a.seq_len + 1)
        x, y = chunk[:, :-1], chunk[:, 1:]
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=a.precision == 'bf16'):
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, 256), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        rates.append(a.batch * a.seq_len / (time.perf_counter() - t0))
        cpu_rates.append(a.batch * a.seq_len / (time.process_time() - c0))
    print(json.dumps({'tokens_per_s': rates, 'tokens_per_cpu_s': cpu_rates}))


# Our tools set these for more than one thread (lib/runtime/thread_policy.h); the PyTorch side
# gets them too, so that neither side's threads spin while the machine is busy.
WAIT_ENVIRONMENT = {'OMP_WAIT_POLICY': 'PASSIVE', 'OPENBLAS_THREAD_TIMEOUT': '4'}


def run_pytorch(a, kind, seq_len, batch, precision):
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', '--kind', kind,
           '--seq_len', str(seq_len), '--batch', str(batch), '--precision', precision,
           '--steps', str(a.steps)] + model_args(a)
    env = dict(os.environ)
    if a.threads > 1:
        env.update({k: v for k, v in WAIT_ENVIRONMENT.items() if k not in os.environ})
    returncode, out, rss = run_measured(cmd, stdout=True, env=env)
    if returncode != 0:
        sys.exit('compare_pytorch: %s failed' % ' '.join(cmd))
    result = json.loads(out.strip().splitlines()[-1])
    return Run(statistics.median(result['tokens_per_s'][1:]),
               statistics.median(result['tokens_per_cpu_s'][1:]), rss)


class Run:
    """One run's medians over its steps after the first: wall tokens/s, tokens per CPU-second
    (all threads; robust to other load on the machine), and its peak RSS in kB."""

    def __init__(self, tokens_per_s, tokens_per_cpu_s, rss_kb):
        self.tokens_per_s, self.tokens_per_cpu_s, self.rss_kb = tokens_per_s, tokens_per_cpu_s, rss_kb


def run_measured(cmd, stdout=False, env=None):
    """Runs cmd; returns its exit status, its stdout (or stderr) and its peak RSS in kB."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
                            stderr=None if stdout else subprocess.PIPE, text=True, env=env)
    text = (proc.stdout if stdout else proc.stderr).read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, text, usage.ru_maxrss


def model_args(a):
    return ['--d_model', str(a.d_model), '--heads', str(a.heads), '--layers', str(a.layers),
            '--ff', str(a.ff), '--threads', str(a.threads), '--corpus', a.corpus]


def run_ours(a, kind, seq_len, batch, precision, run):
    output = os.path.join(a.work_dir, '%s-%d-%d-%s-%d.safetensors' % (kind, seq_len, batch, precision, run))
    log = output + '.log.tsv'
    for stale in (output, log, output + '.state'):
        if os.path.exists(stale):
            os.remove(stale)
    cmd = [os.path.join(a.bin, 'tools', 'train_' + kind),
           '--train=' + a.corpus, '--valid=' + a.corpus, '--output=' + output,
           '--d_model=%d' % a.d_model, '--heads=%d' % a.heads, '--layers=%d' % a.layers,
           '--ff=%d' % a.ff, '--seq_len=%d' % seq_len, '--batch_size=%d' % batch,
           '--dropout=%g' % DROPOUT[kind], '--max_steps=%d' % a.steps, '--lr=1e-4',
           '--eval_every=0', '--eval_batches=1', '--log_every=1', '--checkpoint_every=0',
           '--threads=%d' % a.threads, '--precision=' + precision]
    # The tool's log is written whole at checkpoints and at the end, so the CPU time per step
    # comes from its progress on stderr ("N steps/M steps"), which a terminal gets every 0.1 s:
    # stderr is a pseudo-terminal, and the process's CPU time is read when a new step count
    # appears (to the 20 ms of polling, on steps of about a second).
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    cpu_at_step = {}  # step -> CPU seconds when its progress was seen
    out = b''
    while True:
        if not select.select([master], [], [], 0.02)[0]:
            continue
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the tool closed its end
            chunk = b''
        if not chunk:
            break
        out += chunk
        steps = re.findall(rb'(\d+) steps/\d+ steps', out[-4096:])
        if steps and int(steps[-1]) not in cpu_at_step:
            cpu_at_step[int(steps[-1])] = process_cpu_seconds(proc.pid)
    os.close(master)
    proc.wait()
    stderr = out.decode(errors='replace')
    if proc.returncode != 0:
        sys.exit('compare_pytorch: %s failed:\n%s' % (' '.join(cmd), stderr[-2000:]))
    rows = train_rows(log)
    tokens = batch * seq_len
    seen = sorted((step, cpu) for step, cpu in cpu_at_step.items() if step >= 1 and cpu == cpu)
    cpu_rates = [tokens * (s1 - s0) / (c1 - c0) for (s0, c0), (s1, c1) in zip(seen, seen[1:]) if c1 > c0]
    for path in (output, log, output + '.state'):
        if os.path.exists(path):
            os.remove(path)
    return Run(statistics.median(rows[1:]), statistics.median(cpu_rates) if cpu_rates else float('nan'),
               peak_rss_kb(stderr))


def train_rows(log):
    """tokens_per_s of the train rows of a training log written so far."""
    if not os.path.exists(log):
        return []
    rates = []
    with open(log) as f:
        header = f.readline().rstrip('\n').split('\t')
        for line in f:
            if not line.endswith('\n'):
                break  # a row still being written
            row = dict(zip(header, line.rstrip('\n').split('\t')))
            if row.get('split') == 'train':
                rates.append(float(row['tokens_per_s']))
    return rates


def process_cpu_seconds(pid):
    """User + system CPU seconds of a running process, all its threads."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return float('nan')


def peak_rss_kb(stderr):
    """Our tools print their peak resident memory in their summary line ("... 1.2 GB peak")."""
    m = re.search(r'peak resident memory ([0-9.]+) ([KMG])B', stderr)
    if not m:
        return 0
    return float(m.group(1)) * {'K': 1, 'M': 1e3, 'G': 1e6}[m.group(2)]


def matmul_rate(a, dtype):
    out = subprocess.run([os.path.join(a.bin, 'bench', 'blas_matmul_bin'), '--threads=%d' % a.threads,
                          '--dtype=' + dtype, '--reps=%d' % (30 if dtype == 'fp32' else 3)],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r'([0-9.eE+]+) GFLOP/s', out).group(1))


def cpu_name():
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    return 'unknown CPU'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--bin', default='bazel-bin', help='bazel-bin of this repo (tools/, bench/)')
    p.add_argument('--corpus', default=os.path.join(HERE, '..', 'testdata', 'corpus.xml'))
    p.add_argument('--work_dir', default='/tmp/compare_pytorch')
    p.add_argument('--rounds', type=int, default=3, help='runs of each side, alternating')
    p.add_argument('--steps', type=int, default=8, help='optimizer steps per run (the first is not timed)')
    p.add_argument('--precisions', default='fp32,bf16')
    p.add_argument('--workloads', default='dense:256:8,dense:1024:2,sparse:1024:2',
                   help='kind:seq_len:batch, comma-separated')
    p.add_argument('--d_model', type=int, default=256)
    p.add_argument('--heads', type=int, default=8)
    p.add_argument('--layers', type=int, default=4)
    p.add_argument('--ff', type=int, default=1024)
    p.add_argument('--threads', type=int, default=2)
    # Worker mode (one PyTorch run), used by the driver itself.
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--kind', help=argparse.SUPPRESS)
    p.add_argument('--seq_len', type=int, help=argparse.SUPPRESS)
    p.add_argument('--batch', type=int, help=argparse.SUPPRESS)
    p.add_argument('--precision', help=argparse.SUPPRESS)
    a = p.parse_args()
    a.corpus = os.path.abspath(a.corpus)
    if a.worker:
        pytorch_worker(a)
        return
    os.makedirs(a.work_dir, exist_ok=True)
    # Copies of our binaries, so that a rebuild during the run does not change them.
    for sub, name in (('tools', 'train_dense'), ('tools', 'train_sparse'), ('bench', 'blas_matmul_bin')):
        os.makedirs(os.path.join(a.work_dir, 'bin', sub), exist_ok=True)
        shutil.copy(os.path.join(a.bin, sub, name), os.path.join(a.work_dir, 'bin', sub, name))
    a.bin = os.path.join(a.work_dir, 'bin')
    import torch
    load_before = load_average()
    print('# compare_pytorch: %s, %d cores, %d threads per side; torch %s; d_model %d, %d heads, '
          '%d layers, ff %d; %d rounds x %d steps; load average %s at the start'
          % (cpu_name(), os.cpu_count(), a.threads, torch.__version__, a.d_model, a.heads,
             a.layers, a.ff, a.rounds, a.steps, load_before), flush=True)
    rates = {'fp32': [], 'bf16': []}
    rows = []
    for workload in a.workloads.split(','):
        kind, seq_len, batch = workload.split(':')
        seq_len, batch = int(seq_len), int(batch)
        flops = train_flops_per_token(kind, seq_len, a.d_model, a.heads, a.layers, a.ff)
        for precision in a.precisions.split(','):
            ours, theirs = [], []
            for run in range(a.rounds):
                for dtype in rates:
                    rates[dtype].append(matmul_rate(a, dtype))
                ours.append(run_ours(a, kind, seq_len, batch, precision, run))
                theirs.append(run_pytorch(a, kind, seq_len, batch, precision))
                print('#   %s seq %d batch %d %s round %d: ours %.0f tokens/s (%.0f per CPU-s), '
                      'PyTorch %.0f (%.0f per CPU-s); load %s'
                      % (kind, seq_len, batch, precision, run + 1, ours[-1].tokens_per_s,
                         ours[-1].tokens_per_cpu_s, theirs[-1].tokens_per_s, theirs[-1].tokens_per_cpu_s,
                         load_average()), flush=True)
            rows.append((kind, seq_len, batch, precision, ours, theirs, flops))
    fp32, bf16 = statistics.median(rates['fp32']), statistics.median(rates['bf16'])
    median = lambda runs, field: statistics.median(getattr(r, field) for r in runs)
    print()
    print('1024x1024 matmul through LibTorch, %d threads (median over the run): fp32 %.1f GFLOP/s, '
          'bf16 %.1f GFLOP/s' % (a.threads, fp32, bf16))
    print()
    print('| workload | precision (both sides) | ours tokens/s | PyTorch tokens/s | ratio | '
          'ours / PyTorch tokens per CPU-second | ratio | our GFLOP/s | of fp32 matmul | of bf16 matmul | '
          'peak RSS ours / PyTorch |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for kind, seq_len, batch, precision, ours, theirs, flops in rows:
        o, t = median(ours, 'tokens_per_s'), median(theirs, 'tokens_per_s')
        oc, tc = median(ours, 'tokens_per_cpu_s'), median(theirs, 'tokens_per_cpu_s')
        gflops = o * flops / 1e9
        name = '%s seq %d batch %d%s' % (kind, seq_len, batch, ' (PyTorch masked)' if kind == 'sparse' else '')
        print('| %s | %s | %.0f | %.0f | %.2fx | %.0f / %.0f | %.2fx | %.1f | %.2f | %.2f | %.2f / %.2f GB |'
              % (name, precision, o, t, o / t, oc, tc, oc / tc, gflops, gflops / fp32, gflops / bf16,
                 max(r.rss_kb for r in ours) / 1e6, max(r.rss_kb for r in theirs) / 1e6))


def load_average():
    with open('/proc/loadavg') as f:
        return f.read().split()[0]


if __name__ == '__main__':
    main()
