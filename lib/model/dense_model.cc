#include "lib/model/dense_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/model/bias_silu_dropout.h"
#include "lib/model/hash_dropout.h"
#include "lib/model/kv_cache.h"
#include "lib/model/model_parts.h"
#include "lib/model/sparse_attention.h"

namespace attn::model {
namespace {

namespace F = torch::nn::functional;

const std::map<std::string, std::string>& Tied();

// EnhancedPositionalEncoding: x + alpha * pe[:L], then a residual positional
// feed-forward on LayerNorm(x), then dropout. pe is a persistent buffer [max_len, d].
class PositionalEncodingImpl : public torch::nn::Module {
 public:
  PositionalEncodingImpl(int64_t d_model, int64_t max_len, double dropout) : dropout_(dropout) {
    alpha = register_parameter("alpha", torch::ones({1}));
    pe = register_buffer("pe", SinusoidalTable(max_len, d_model));
    position_ff = register_module(
        "position_ff", torch::nn::Sequential(torch::nn::Linear(d_model, d_model), torch::nn::GELU(),
                                             torch::nn::Dropout(dropout), torch::nn::Linear(d_model, d_model),
                                             torch::nn::Dropout(dropout)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
    torch::NoGradGuard no_grad;
    for (int index : {0, 3}) {
      auto linear = position_ff[index]->as<torch::nn::Linear>();
      linear->weight.normal_(0.0, 0.02);
      linear->bias.zero_();
    }
  }

  // x: [B, n, d], the embedded bytes at positions [first, first + n).
  torch::Tensor forward(const torch::Tensor& x, int64_t first = 0) {
    using torch::indexing::Slice;
    torch::Tensor y = x + alpha * pe.index({Slice(first, first + x.size(1))});
    y = y + F::dropout(position_ff->forward(norm(y)), F::DropoutFuncOptions().p(dropout_).training(is_training()));
    return F::dropout(y, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  }

  torch::Tensor alpha, pe;
  torch::nn::Sequential position_ff{nullptr};
  torch::nn::LayerNorm norm{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(PositionalEncoding);

// torch.nn.MultiheadAttention (packed QKV, batch first) written out so that the per-head
// probabilities are at hand; same parameters, same initialisation, same arithmetic. With
// patterns (one per head), and in training, the same projections feed the allowed-pairs
// kernel instead.
class MultiheadAttentionImpl : public torch::nn::Module {
 public:
  MultiheadAttentionImpl(int64_t d_model, int64_t heads, double dropout, std::vector<AttentionPattern> patterns)
      : heads_(heads),
        head_dim_(d_model / heads),
        dropout_(dropout),
        patterns_(std::move(patterns)),
        full_causal_(heads, *BuiltinPattern("dense")) {
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * d_model, d_model}));
    in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * d_model}));
    out_proj = register_module("out_proj", torch::nn::Linear(d_model, d_model));
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(in_proj_weight);
    out_proj->bias.zero_();
  }

  // x: [B, L, d]; future: [L, L] bool, true where attention is forbidden (unused with patterns);
  // head_mask: [heads] or undefined (LanguageModel::SetHeadMask).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& future, std::vector<torch::Tensor>* attention,
                        const torch::Tensor& head_mask) {
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    std::vector<torch::Tensor> qkv = F::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
    auto heads = [&](const torch::Tensor& t) { return t.reshape({B, L, heads_, head_dim_}).transpose(1, 2); };
    torch::Tensor out;
    // Training without patterns goes through the kernel too, as full causal attention on
    // every head (faster, and memory O(L) instead of O(L^2)); PyTorch's operations stay where
    // the probabilities are asked for, in evaluation (whose numbers are the original's) and
    // off the CPU (the kernel computes on the CPU only).
    if (patterns_.empty() && (!is_training() || attention != nullptr || !x.is_cpu())) {
      // PyTorch scales q before the product; doing the same keeps the rounding identical.
      torch::Tensor q = heads(qkv[0]) / std::sqrt(static_cast<double>(head_dim_));
      torch::Tensor scores = torch::matmul(q, heads(qkv[1]).transpose(-2, -1));
      scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
      torch::Tensor probs = torch::softmax(scores, -1);
      if (attention != nullptr) attention->push_back(probs);
      probs = F::dropout(probs, F::DropoutFuncOptions().p(dropout_).training(is_training()));
      out = torch::matmul(probs, heads(qkv[2]));
    } else {
      SparseAttentionOptions options;
      options.dropout = dropout_;
      options.training = is_training();
      options.impl = SparseAttentionImpl::kKernel;
      torch::Tensor probs;
      out = SparseAttention(heads(qkv[0]), heads(qkv[1]), heads(qkv[2]), patterns_.empty() ? full_causal_ : patterns_, options,
                            attention != nullptr ? &probs : nullptr);
      if (attention != nullptr) attention->push_back(probs);
    }
    return out_proj(MaskHeads(out, head_mask).transpose(1, 2).reshape({B, L, d}));
  }

  // forward's two ends, for the cached forward (lib/model/kv_cache.h): x [B, n, d] -> q, k, v
  // [B, heads, n, Dh]; the heads' outputs [B, heads, n, Dh] -> [B, n, d].
  std::array<torch::Tensor, 3> Project(const torch::Tensor& x) {
    const std::vector<torch::Tensor> qkv = F::linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
    std::array<torch::Tensor, 3> heads;
    for (int i = 0; i < 3; ++i) heads[i] = qkv[i].reshape({x.size(0), x.size(1), heads_, head_dim_}).transpose(1, 2);
    return heads;
  }
  torch::Tensor Output(const torch::Tensor& heads_out, const torch::Tensor& head_mask) {
    const int64_t B = heads_out.size(0), n = heads_out.size(2);
    return out_proj(MaskHeads(heads_out, head_mask).transpose(1, 2).reshape({B, n, heads_ * head_dim_}));
  }
  // One per head; empty for full causal attention.
  const std::vector<AttentionPattern>& patterns() const { return patterns_; }

  torch::Tensor in_proj_weight, in_proj_bias;
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_, head_dim_;
  double dropout_;
  std::vector<AttentionPattern> patterns_;
  std::vector<AttentionPattern> full_causal_;  // the kernel's patterns for training without patterns_
};
TORCH_MODULE(MultiheadAttention);

// One pre-norm block: x + Drop(gamma1 * MHA(LN1 x)), then x + Drop(gamma2 * FF(LN2 x)).
class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(const DenseConfig& c, int64_t index)
      : dropout_(std::min(c.dropout * (1.0 + 0.1 * index), 0.5)) {
    const double attention_dropout = std::min(c.attention_dropout * (1.0 + 0.05 * index), 0.4);
    self_attn = register_module(
        "self_attn", MultiheadAttention(c.d_model, c.heads, attention_dropout,
                                        c.patterns.empty() ? std::vector<AttentionPattern>() : c.patterns.Layer(index)));
    feed_forward = register_module(
        "feed_forward",
        torch::nn::Sequential(torch::nn::Linear(c.d_model, 2 * c.ff), torch::nn::SiLU(),
                              torch::nn::Dropout(c.activation_dropout), torch::nn::Linear(2 * c.ff, c.d_model),
                              torch::nn::Dropout(dropout_)));
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model}).eps(1e-6)));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model}).eps(1e-6)));
    gamma1 = register_parameter("gamma1", torch::ones({1}));
    gamma2 = register_parameter("gamma2", torch::ones({1}));
    torch::NoGradGuard no_grad;
    for (int i : {0, 3}) {
      auto linear = feed_forward[i]->as<torch::nn::Linear>();
      TruncatedNormal(linear->weight, 0.02, -0.04, 0.04);
      linear->bias.zero_();
    }
  }

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& future, std::vector<torch::Tensor>* attention,
                        const torch::Tensor& head_mask = {}) {
    return Residuals(x, self_attn(norm1(x), future, attention, head_mask));
  }

  // The block around its attention's output `attended` ([B, n, d]) for the input rows x. Its
  // dropouts are hashed (HashDropout): LibTorch 1.13 without MKL draws masks serially.
  torch::Tensor Residuals(torch::Tensor x, const torch::Tensor& attended) {
    x = x + HashDropout(gamma1 * attended, dropout_, is_training());
    return x + HashDropout(gamma2 * FeedForward(norm2(x)), dropout_, is_training());
  }

  // feed_forward's layers in order, its first bias, SiLU and dropout in one fused pass.
  torch::Tensor FeedForward(const torch::Tensor& x) {
    torch::nn::LinearImpl& in = *feed_forward[0]->as<torch::nn::Linear>();
    const double p = feed_forward[2]->as<torch::nn::Dropout>()->options.p();
    const torch::Tensor h = BiasSiluDropout(F::linear(x, in.weight), in.bias, p, is_training());
    return HashDropout(feed_forward[3]->as<torch::nn::Linear>()->forward(h),
                       feed_forward[4]->as<torch::nn::Dropout>()->options.p(), is_training());
  }

  MultiheadAttention self_attn{nullptr};
  torch::nn::Sequential feed_forward{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::Tensor gamma1, gamma2;

 private:
  double dropout_;
};
TORCH_MODULE(TransformerBlock);

// Gradient checkpointing, as torch.utils.checkpoint (reentrant) does it: the forward keeps
// no activations inside the block; the backward replays the block's forward, with the
// random generator rewound so that dropout draws the same masks, and back-propagates
// through the replay. Parameter gradients accumulate directly; x's gradient is returned.
class CheckpointedBlock : public torch::autograd::Function<CheckpointedBlock> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& future, TransformerBlockImpl* block) {
    // saved_data holds IValues only; the block outlives the graph (it is the model's).
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    at::Generator generator = at::globalContext().defaultGenerator(x.device());
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      ctx->saved_data["rng"] = generator.get_state();
    }
    ctx->save_for_backward({x, future});
    return block->forward(x, future, nullptr);  // autograd is off inside a custom forward
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    auto* block = reinterpret_cast<TransformerBlockImpl*>(ctx->saved_data["block"].toInt());
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    torch::Tensor x = saved[0].detach().requires_grad_(true);
    at::Generator generator = at::globalContext().defaultGenerator(x.device());
    torch::Tensor now;
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      now = generator.get_state();
      generator.set_state(ctx->saved_data["rng"].toTensor());
    }
    torch::Tensor y;
    {
      torch::AutoGradMode grad(true);
      y = block->forward(x, saved[1], nullptr);
    }
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(now);
    }
    torch::autograd::backward({y}, {grad_output[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor()};
  }
};

class DenseModel : public LanguageModel {
 public:
  explicit DenseModel(const DenseConfig& c) : config_(c) {
    embedding = register_module("embedding", torch::nn::Embedding(kVocabSize, c.d_model));
    pos_encoder = register_module("pos_encoder", PositionalEncoding(c.d_model, c.max_len, c.dropout));
    transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.layers; ++i) transformer_blocks->push_back(TransformerBlock(c, i));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model}).eps(1e-6)));
    output = register_module("output", TiedOutput(c.d_model));
    torch::NoGradGuard no_grad;
    embedding->weight.normal_(0.0, 0.02);
    // The original zeroes the output bias. TiedOutput has drawn its default first, so every
    // other weight of a seed is what it was before this fix.
    output->bias.zero_();
  }

  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) override {
    return Run(tokens, attention);
  }
  std::string Kind() const override { return "dense"; }
  std::map<std::string, std::string> ConfigMetadata() const override { return config_.ToMetadata(); }
  std::map<std::string, std::string> TiedWeights() const override { return Tied(); }
  int64_t MaxSeqLen() const override { return config_.max_len; }
  int64_t NumLayers() const override { return config_.layers; }
  int64_t NumHeads() const override { return config_.heads; }

  torch::Tensor ForwardLast(const torch::Tensor& tokens, KVCache& cache) override {
    TORCH_CHECK(!is_training(), "the cached forward is for generation, in eval mode");
    CheckTokens(tokens, config_.max_len);
    std::vector<CachedLayer> layers;
    for (int64_t i = 0; i < config_.layers; ++i) {
      layers.push_back(PreNormCachedLayer(transformer_blocks[i]->as<TransformerBlock>(), HeadMaskRow(i)));
    }
    auto embed = [this](const torch::Tensor& t, int64_t first) { return Embed(t, first); };
    return Logits(cache.Extend(tokens, embed, layers));
  }

  std::unique_ptr<DecoderWeights> DecoderWeightsOnCpu() override {
    if (!IsFloatOnCpu(*this)) return nullptr;
    auto w = std::make_unique<DecoderWeights>();
    w->heads = config_.heads;
    w->embedding = ToRowMatrix(embedding->weight);
    w->embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config_.d_model)));
    w->positions = ToRowMatrix(pos_encoder->alpha * pos_encoder->pe);
    w->position_ff = FeedForwardWeights{LayerNormOf(*pos_encoder->norm),
                                        LinearOf(*pos_encoder->position_ff[0]->as<torch::nn::Linear>()),
                                        Activation::kGelu,
                                        LinearOf(*pos_encoder->position_ff[3]->as<torch::nn::Linear>())};
    for (int64_t i = 0; i < config_.layers; ++i) {
      TransformerBlockImpl* b = transformer_blocks[i]->as<TransformerBlock>();
      w->layers.push_back({LayerNormOf(*b->norm1), LinearOf(b->self_attn->in_proj_weight, b->self_attn->in_proj_bias),
                           b->self_attn->patterns(), HeadScale(i), LinearOf(*b->self_attn->out_proj),
                           b->gamma1.item<float>(),
                           FeedForwardWeights{LayerNormOf(*b->norm2), LinearOf(*b->feed_forward[0]->as<torch::nn::Linear>()),
                                              Activation::kSilu, LinearOf(*b->feed_forward[3]->as<torch::nn::Linear>()),
                                              b->gamma2.item<float>()}});
    }
    w->final_norm = LayerNormOf(*norm);
    w->output_bias = ToRowVector(output->bias);
    return w;
  }

 private:
  // The blocks' input for `tokens` ([B, n]) at positions [first, first + n).
  torch::Tensor Embed(const torch::Tensor& tokens, int64_t first) {
    torch::Tensor input = tokens;
    if (is_training() && config_.token_dropout > 0) {
      input = tokens.masked_fill(torch::rand(tokens.sizes(), tokens.device()) < config_.token_dropout, 0);
    }
    return pos_encoder(embedding(input) * std::sqrt(static_cast<double>(config_.d_model)), first);
  }
  torch::Tensor Logits(const torch::Tensor& x) { return F::linear(norm(x), embedding->weight, output->bias); }

  torch::Tensor Run(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) {
    CheckTokens(tokens, config_.max_len);
    torch::Tensor x = Embed(tokens, 0);
    const int64_t B = tokens.size(0), L = tokens.size(1);
    const torch::Tensor future = FutureMask(L, tokens.device());
    for (int64_t i = 0; i < config_.layers; ++i) {
      if (is_training() && i > 0 && config_.stochastic_depth > 0 &&
          torch::rand({1}).item<double>() < config_.stochastic_depth * i / config_.layers) {
        // A skipped block attends nowhere; keep the per-layer list aligned with the layers.
        if (attention != nullptr) attention->push_back(torch::zeros({B, config_.heads, L, L}, x.options()));
        continue;
      }
      TransformerBlockImpl* block = transformer_blocks[i]->as<TransformerBlock>();
      const torch::Tensor head_mask = HeadMaskRow(i);
      if (config_.gradient_checkpointing && is_training() && attention == nullptr && !head_mask.defined() &&
          torch::GradMode::is_enabled()) {
        x = CheckpointedBlock::apply(x, future, block);
      } else {
        x = block->forward(x, future, attention, head_mask);
      }
    }
    return Logits(x);
  }

  DenseConfig config_;
  torch::nn::Embedding embedding{nullptr};
  PositionalEncoding pos_encoder{nullptr};
  torch::nn::ModuleList transformer_blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  TiedOutput output{nullptr};
};

const std::map<std::string, std::string>& Tied() {
  static const auto* tied = new std::map<std::string, std::string>{{"output.weight", "embedding.weight"}};
  return *tied;
}

const ConfigFields<DenseConfig>& Fields() {
  static const auto* fields = [] {
    auto* f = new ConfigFields<DenseConfig>(TransformerSizeFields<DenseConfig>());
    f->insert(f->end(), {{"dropout", &DenseConfig::dropout, 0, 1},
                         {"attention_dropout", &DenseConfig::attention_dropout, 0, 1},
                         {"activation_dropout", &DenseConfig::activation_dropout, 0, 1},
                         {"token_dropout", &DenseConfig::token_dropout, 0, 1},
                         {"stochastic_depth", &DenseConfig::stochastic_depth, 0, 1}});
    return f;
  }();
  return *fields;
}

// The state dict of a model of `c`, by the structure above (the test compares it with a
// built model's).
std::vector<TensorShape> Tensors(const DenseConfig& c) {
  const int64_t d = c.d_model;
  std::vector<TensorShape> t = {{"embedding.weight", {kVocabSize, d}},
                                {"pos_encoder.alpha", {1}},
                                {"pos_encoder.pe", {c.max_len, d}},
                                {"pos_encoder.position_ff.0.weight", {d, d}},
                                {"pos_encoder.position_ff.0.bias", {d}},
                                {"pos_encoder.position_ff.3.weight", {d, d}},
                                {"pos_encoder.position_ff.3.bias", {d}},
                                {"pos_encoder.norm.weight", {d}},
                                {"pos_encoder.norm.bias", {d}}};
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = absl::StrCat("transformer_blocks.", i, ".");
    for (const TensorShape& s : std::vector<TensorShape>{{"gamma1", {1}},
                                                         {"gamma2", {1}},
                                                         {"self_attn.in_proj_weight", {3 * d, d}},
                                                         {"self_attn.in_proj_bias", {3 * d}},
                                                         {"self_attn.out_proj.weight", {d, d}},
                                                         {"self_attn.out_proj.bias", {d}},
                                                         {"feed_forward.0.weight", {2 * c.ff, d}},
                                                         {"feed_forward.0.bias", {2 * c.ff}},
                                                         {"feed_forward.3.weight", {d, 2 * c.ff}},
                                                         {"feed_forward.3.bias", {d}},
                                                         {"norm1.weight", {d}},
                                                         {"norm1.bias", {d}},
                                                         {"norm2.weight", {d}},
                                                         {"norm2.bias", {d}}}) {
      t.push_back({p + s.name, s.shape});
    }
  }
  for (const TensorShape& s : std::vector<TensorShape>{
           {"norm.weight", {d}}, {"norm.bias", {d}}, {"output.bias", {kVocabSize}}, {"output.weight", {kVocabSize, d}}}) {
    t.push_back(s);
  }
  return t;
}

}  // namespace

absl::Status DenseConfig::Validate() const {
  if (absl::Status s = ValidateFields(Fields(), *this); !s.ok()) return s;
  if (absl::Status s = CheckHeadsDivideWidth(d_model, heads); !s.ok()) return s;
  return CheckPatternsFit(patterns, layers, heads);
}

Metadata DenseConfig::ToMetadata() const {
  Metadata m = FieldsToMetadata(Fields(), *this);
  if (!patterns.empty()) m[kPatternsKey] = PatternsMetadataText(patterns);
  return m;
}

absl::StatusOr<DenseConfig> DenseConfig::FromMetadata(const Metadata& metadata) {
  absl::StatusOr<DenseConfig> c = FieldsFromMetadata(Fields(), metadata);
  if (!c.ok()) return c;
  absl::StatusOr<HeadPatterns> p = PatternsFromMetadata(metadata, c->layers, c->heads);
  if (!p.ok()) return p.status();
  c->patterns = *std::move(p);
  return c;
}

absl::StatusOr<HeadPatterns> DenseConfig::ResolvedPatterns() const { return patterns; }

absl::StatusOr<std::shared_ptr<LanguageModel>> MakeDenseModel(const DenseConfig& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  return std::shared_ptr<LanguageModel>(std::make_shared<DenseModel>(config));
}

ModelKind DenseModelKind() {
  std::vector<std::string> keys = FieldKeys(Fields());
  keys.push_back(kPatternsKey);
  return MakeModelKind<DenseConfig>("dense", std::move(keys), Tied(), Tensors, MakeDenseModel);
}

}  // namespace attn::model
