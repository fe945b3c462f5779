"""A transcription of the Python original's two models (docs/design.md section 5), written
from the design's description in the original's own style (torch.nn modules, the same
attribute names, hence the same state_dict keys). The C++ models must match it: the
compatibility test loads C++ checkpoints into these modules with strict=True and compares
logits and per-head attention."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


# ---------------------------------------------------------------- dense: EnhancedCharTransformer

class EnhancedPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=5000, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.alpha = nn.Parameter(torch.ones(1))
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe)
        self.position_ff = nn.Sequential(
            nn.Linear(d_model, d_model),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(d_model, d_model),
            nn.Dropout(dropout),
        )
        self.norm = nn.LayerNorm(d_model)
        for m in self.position_ff:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = x + self.alpha * self.pe[:x.size(1)]
        x = x + self.dropout(self.position_ff(self.norm(x)))
        return self.dropout(x)


class TransformerBlock(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, dropout, attention_dropout,
                 activation_dropout, layer_idx):
        super().__init__()
        layer_dropout = min(dropout * (1 + layer_idx * 0.1), 0.5)
        layer_attention_dropout = min(attention_dropout * (1 + layer_idx * 0.05), 0.4)
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=layer_attention_dropout,
                                               batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward * 2),
            nn.SiLU(),
            nn.Dropout(activation_dropout),
            nn.Linear(dim_feedforward * 2, d_model),
            nn.Dropout(layer_dropout),
        )
        self.norm1 = nn.LayerNorm(d_model, eps=1e-6)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-6)
        self.dropout = nn.Dropout(layer_dropout)
        self.gamma1 = nn.Parameter(torch.ones(1))
        self.gamma2 = nn.Parameter(torch.ones(1))
        for m in self.feed_forward:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                nn.init.zeros_(m.bias)

    def forward(self, x, mask):
        h = self.norm1(x)
        attn_out, _ = self.self_attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + self.dropout(self.gamma1 * attn_out)
        x = x + self.dropout(self.gamma2 * self.feed_forward(self.norm2(x)))
        return x


class EnhancedCharTransformer(nn.Module):
    def __init__(self, vocab_size=256, d_model=512, nhead=8, num_layers=12, dim_feedforward=2048,
                 dropout=0.1, attention_dropout=0.1, activation_dropout=0.1, token_dropout=0.05,
                 stochastic_depth_prob=0.1, max_len=5000, use_checkpoint=True):
        super().__init__()
        self.d_model = d_model
        self.token_dropout = token_dropout
        self.stochastic_depth_prob = stochastic_depth_prob
        self.use_checkpoint = use_checkpoint
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.pos_encoder = EnhancedPositionalEncoding(d_model, max_len, dropout)
        self.transformer_blocks = nn.ModuleList([
            TransformerBlock(d_model, nhead, dim_feedforward, dropout, attention_dropout,
                             activation_dropout, i) for i in range(num_layers)])
        self.norm = nn.LayerNorm(d_model, eps=1e-6)
        self.output = nn.Linear(d_model, vocab_size)
        self.output.weight = self.embedding.weight
        nn.init.normal_(self.embedding.weight, mean=0.0, std=0.02)
        nn.init.zeros_(self.output.bias)

    @staticmethod
    def causal_mask(L, device):
        return torch.triu(torch.ones(L, L, dtype=torch.bool, device=device), diagonal=1)

    def forward(self, x):
        if self.training and self.token_dropout > 0:
            x = x.masked_fill(torch.rand(x.shape, device=x.device) < self.token_dropout, 0)
        x = self.embedding(x) * math.sqrt(self.d_model)
        x = self.pos_encoder(x)
        mask = self.causal_mask(x.size(1), x.device)
        n = len(self.transformer_blocks)
        for i, block in enumerate(self.transformer_blocks):
            if self.training and i > 0 and torch.rand(1).item() < self.stochastic_depth_prob * i / n:
                continue
            if self.use_checkpoint and self.training:
                x = checkpoint(block, x, mask)
            else:
                x = block(x, mask)
        return self.output(self.norm(x))


# ---------------------------------------------------------------- sparse: SparseByteTransformer

ANCHOR_RATIOS = (0.0, 0.1, 0.2, 0.3, 0.382, 0.5, 0.618, 0.7, 0.8, 0.9, 1.0)


def pattern_allows(pattern, i, j, L):
    if j > i:
        return False
    if pattern == 0:
        return abs(i - j) <= 8
    if pattern == 3:
        return abs(i - j) <= 16
    if pattern == 1:
        return abs(i - j) <= 32 or (L >= 8 and j % 8 == 0)
    if pattern == 2:
        anchors = {min(L - 1, int(math.floor(r * (L - 1)))) for r in ANCHOR_RATIOS}
        return (L >= 16 and j % 16 == 0) or j in anchors
    raise ValueError(pattern)


DEFAULT_COUNTS = {8: [(0, 1), (3, 2), (1, 3), (2, 2)], 6: [(0, 1), (3, 1), (1, 2), (2, 2)],
                  4: [(0, 1), (3, 1), (1, 1), (2, 1)], 2: [(0, 1), (1, 1)], 1: [(0, 1)]}


def assign_head_patterns(heads, mask_subset=''):
    counts = DEFAULT_COUNTS[heads]
    if mask_subset:
        kept = [(p, c) for p, c in counts if str(p) in mask_subset]
        if not kept:
            return [0] * heads
        counts = [[p, c] for p, c in kept]
        k = 0
        while sum(c for _, c in counts) < heads:
            counts[k % len(counts)][1] += 1
            k += 1
    return [p for p, c in counts for _ in range(c)]


class SparseMultiheadAttention(nn.Module):
    def __init__(self, d_model, nhead, head_patterns, dropout=0.05):
        super().__init__()
        self.nhead = nhead
        self.head_dim = d_model // nhead
        self.head_patterns = head_patterns
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def build_mask(self, L):
        mask = torch.zeros(self.nhead, L, L, dtype=torch.bool)
        for h, p in enumerate(self.head_patterns):
            for i in range(L):
                for j in range(L):
                    mask[h, i, j] = pattern_allows(p, i, j, L)
        return mask

    def forward(self, x):
        B, L, D = x.shape
        q = self.q_proj(x).view(B, L, self.nhead, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.nhead, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.nhead, self.head_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~self.build_mask(L).to(x.device), float('-inf'))
        attn = F.softmax(scores, dim=-1)
        out = torch.matmul(self.dropout(attn), v).transpose(1, 2).reshape(B, L, D)
        return self.out_proj(out), attn


class SparseTransformerLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward, head_patterns, dropout=0.05):
        super().__init__()
        self.self_attn = SparseMultiheadAttention(d_model, nhead, head_patterns, dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, attention=None):
        attn_out, attn = self.self_attn(self.norm1(x))
        if attention is not None:
            attention.append(attn)
        x = x + self.dropout(attn_out)
        x = x + self.dropout(self.linear2(self.dropout(F.relu(self.linear1(self.norm2(x))))))
        return x


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len, dropout):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe.unsqueeze(0))

    def forward(self, x):
        return self.dropout(x + self.pe[:, :x.size(1)])


class SparseByteTransformer(nn.Module):
    def __init__(self, d_model, nhead, num_layers, dim_feedforward, max_len, head_patterns,
                 dropout=0.05, token_dropout=0.02):
        super().__init__()
        self.d_model = d_model
        self.token_dropout = token_dropout
        self.token_embedding = nn.Embedding(256, d_model)
        self.pos_encoder = PositionalEncoding(d_model, max_len, dropout)
        self.transformer_encoder = nn.ModuleList([
            SparseTransformerLayer(d_model, nhead, dim_feedforward, head_patterns, dropout)
            for _ in range(num_layers)])
        self.output_projection = nn.Linear(d_model, 256)
        self.output_projection.weight = self.token_embedding.weight

    def forward(self, x, attention=None):
        x = self.token_embedding(x) * math.sqrt(self.d_model)
        if self.training and self.token_dropout > 0:
            keep = (torch.rand(x.shape[:2], device=x.device) >= self.token_dropout).unsqueeze(-1)
            x = x * keep
        x = self.pos_encoder(x)
        for layer in self.transformer_encoder:
            x = layer(x, attention)
        return self.output_projection(x)
