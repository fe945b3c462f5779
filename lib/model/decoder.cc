#include "lib/model/decoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "ATen/Parallel.h"
#include "lib/model/kv_cache.h"

namespace attn::model {
namespace {

// Rows x [n, in] -> x weight^T + bias [n, out]. The output columns split across LibTorch's
// threads when a product is large enough to pay for waking them (a model of d_model 512:
// yes; the demo's 128: no). Each column's arithmetic does not depend on the split.
RowMatrix Apply(const LinearWeights& linear, const RowMatrix& x) {
  constexpr int64_t kGrain = int64_t{1} << 18;  // multiply-adds per task
  const int64_t out = linear.weight.rows();
  RowMatrix y(x.rows(), out);
  at::parallel_for(0, out, std::max<int64_t>(1, kGrain / (x.rows() * x.cols())), [&](int64_t begin, int64_t end) {
    auto block = y.middleCols(begin, end - begin);
    block.noalias() = x * linear.weight.middleRows(begin, end - begin).transpose();
    block.rowwise() += linear.bias.segment(begin, end - begin);
  });
  return y;
}

// Each row normalised to zero mean and unit (biased) variance, then scaled and shifted.
RowMatrix Normalise(const LayerNormWeights& norm, const RowMatrix& x) {
  RowMatrix y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const Eigen::RowVectorXf centred = x.row(r).array() - x.row(r).mean();
    const float inverse = 1.0f / std::sqrt(centred.squaredNorm() / static_cast<float>(x.cols()) + norm.eps);
    y.row(r) = (centred * inverse).cwiseProduct(norm.weight) + norm.bias;
  }
  return y;
}

void Activate(Activation activation, RowMatrix& x) {
  switch (activation) {
    case Activation::kGelu:  // exact (erf), as torch.nn.GELU()
      x = x.unaryExpr([](float v) { return 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2))); });
      break;
    case Activation::kSilu:
      x = x.unaryExpr([](float v) { return v / (1.0f + std::exp(-v)); });
      break;
    case Activation::kRelu:
      x = x.cwiseMax(0.0f);
      break;
  }
}

RowMatrix WithFeedForward(const FeedForwardWeights& ff, const RowMatrix& x) {
  RowMatrix h = Apply(ff.in, Normalise(ff.norm, x));
  Activate(ff.activation, h);
  return x + ff.gamma * Apply(ff.out, h);
}

// Rows [first, first + rows.rows()) of `held` become `rows`; capacity doubles as needed and
// the rows before `first` are kept.
void WriteRows(RowMatrix& held, int64_t first, const RowMatrix& rows) {
  const int64_t end = first + rows.rows();
  if (held.rows() < end) held.conservativeResize(std::max<int64_t>(end, 2 * held.rows()), rows.cols());
  held.middleRows(first, rows.rows()) = rows;
}

}  // namespace

Decoder::Decoder(DecoderWeights weights)
    : w_(std::move(weights)), d_(w_.embedding.cols()), head_dim_(w_.embedding.cols() / w_.heads) {}

int64_t Decoder::Reusable(const std::vector<int64_t>& tokens) const {
  const size_t held = tokens_.size();
  if (held == 0 || tokens.size() <= held || !std::equal(tokens_.begin(), tokens_.end(), tokens.begin())) return 0;
  return static_cast<int64_t>(held);
}

RowMatrix Decoder::Embed(const std::vector<int64_t>& tokens, int64_t first) const {
  const int64_t n = static_cast<int64_t>(tokens.size()) - first;
  RowMatrix x(n, d_);
  for (int64_t r = 0; r < n; ++r) {
    x.row(r) = w_.embedding.row(tokens[first + r]) * w_.embedding_scale + w_.positions.row(first + r);
  }
  return w_.position_ff ? WithFeedForward(*w_.position_ff, x) : x;
}

RowMatrix Decoder::Attend(size_t l, const RowMatrix& q, int64_t first, int64_t L) const {
  const DecoderLayerWeights& layer = w_.layers[l];
  const LayerState& state = state_[l];
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
  RowMatrix out(q.rows(), d_);
  Eigen::VectorXf scores;
  for (int64_t h = 0; h < w_.heads; ++h) {
    const int64_t column = h * head_dim_;
    const auto keys = state.keys.block(0, column, L, head_dim_);
    const auto values = state.values.block(0, column, L, head_dim_);
    std::optional<PatternAtLength> at;
    if (!layer.patterns.empty()) at.emplace(layer.patterns[h], L);
    for (int64_t r = 0; r < q.rows(); ++r) {
      const int64_t i = first + r;
      const Eigen::VectorXf query = q.row(r).segment(column, head_dim_).transpose() * scale;
      auto row = out.row(r).segment(column, head_dim_);
      if (!at) {  // every key j <= i: contiguous rows
        scores = keys.topRows(i + 1) * query;
        scores = (scores.array() - scores.maxCoeff()).exp();
        row = (scores.transpose() * values.topRows(i + 1)) / scores.sum();
      } else {
        const std::vector<int64_t> allowed = at->Keys(i);
        scores.resize(static_cast<Eigen::Index>(allowed.size()));
        for (size_t k = 0; k < allowed.size(); ++k) scores(k) = keys.row(allowed[k]).dot(query.transpose());
        scores = (scores.array() - scores.maxCoeff()).exp();
        row.setZero();
        for (size_t k = 0; k < allowed.size(); ++k) row += scores(k) * values.row(allowed[k]);
        row /= scores.sum();
      }
      row *= layer.head_scale(h);
    }
  }
  return out;
}

const Eigen::RowVectorXf& Decoder::Next(const std::vector<int64_t>& tokens) {
  const int64_t L = static_cast<int64_t>(tokens.size());
  if (L < 1 || L > w_.positions.rows()) {
    throw std::invalid_argument("the decoder takes 1 to " + std::to_string(w_.positions.rows()) + " tokens, got " +
                                std::to_string(L));
  }
  for (int64_t t : tokens) {
    if (t < 0 || t >= w_.embedding.rows()) throw std::invalid_argument("a token outside 0..255: " + std::to_string(t));
  }
  const int64_t held = Reusable(tokens);
  if (held == 0) state_.assign(w_.layers.size(), LayerState());
  rows_computed_.clear();
  RowMatrix x = Embed(tokens, held);  // this layer's input at the positions [first, L)
  int64_t first = held;
  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const DecoderLayerWeights& layer = w_.layers[l];
    LayerState& state = state_[l];
    const int64_t dirty = std::min(first, FirstChangedQuery(layer.patterns, held, L));
    if (dirty < first) {
      RowMatrix wider(L - dirty, d_);
      wider << state.input.middleRows(dirty, first - dirty), x;
      x = std::move(wider);
    }
    WriteRows(state.input, dirty, x);
    const RowMatrix qkv = Apply(layer.qkv, Normalise(layer.norm, x));
    WriteRows(state.keys, dirty, qkv.middleCols(d_, d_));
    WriteRows(state.values, dirty, qkv.rightCols(d_));
    const RowMatrix attended = Attend(l, qkv.leftCols(d_), dirty, L);
    x = WithFeedForward(layer.feed_forward, x + layer.gamma * Apply(layer.out, attended));
    first = dirty;
    rows_computed_.push_back(L - dirty);
  }
  tokens_ = tokens;
  RowMatrix last = x.bottomRows(1);
  if (w_.final_norm) last = Normalise(*w_.final_norm, last);
  logits_ = last * w_.embedding.transpose() + w_.output_bias;
  return logits_;
}

}  // namespace attn::model
