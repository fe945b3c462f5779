#include "lib/model/sparse_model.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/model/kv_cache.h"
#include "lib/model/model_parts.h"

namespace attn::model {
namespace {

namespace F = torch::nn::functional;

const std::map<std::string, std::string>& Tied() {
  static const auto* tied =
      new std::map<std::string, std::string>{{"output_projection.weight", "token_embedding.weight"}};
  return *tied;
}

// Holds the sinusoidal table as a persistent buffer [1, max_len, d], as the original does.
class PositionalEncodingImpl : public torch::nn::Module {
 public:
  PositionalEncodingImpl(int64_t d_model, int64_t max_len) {
    pe = register_buffer("pe", SinusoidalTable(max_len, d_model).unsqueeze(0));
  }
  torch::Tensor pe;
};
TORCH_MODULE(PositionalEncoding);

// Multi-head attention with separate q/k/v projections whose head h attends along
// patterns[h] only.
class SparseMultiheadAttentionImpl : public torch::nn::Module {
 public:
  SparseMultiheadAttentionImpl(const SparseConfig& c, std::vector<AttentionPattern> patterns)
      : heads_(c.heads), head_dim_(c.d_model / c.heads), dropout_(c.dropout), impl_(c.attention),
        patterns_(std::move(patterns)) {
    q_proj = register_module("q_proj", torch::nn::Linear(c.d_model, c.d_model));
    k_proj = register_module("k_proj", torch::nn::Linear(c.d_model, c.d_model));
    v_proj = register_module("v_proj", torch::nn::Linear(c.d_model, c.d_model));
    out_proj = register_module("out_proj", torch::nn::Linear(c.d_model, c.d_model));
  }

  // head_mask: [heads] or undefined (LanguageModel::SetHeadMask).
  torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>* attention, const torch::Tensor& head_mask) {
    SparseAttentionOptions options;
    options.dropout = dropout_;
    options.training = is_training();
    options.impl = impl_;
    torch::Tensor probs;
    const std::array<torch::Tensor, 3> qkv = Project(x);
    torch::Tensor out =
        SparseAttention(qkv[0], qkv[1], qkv[2], patterns_, options, attention != nullptr ? &probs : nullptr);
    if (attention != nullptr) attention->push_back(probs);
    return Output(out, head_mask);
  }

  // x [B, n, d] -> q, k, v [B, heads, n, Dh]; the heads' outputs [B, heads, n, Dh] -> [B, n, d]
  // (also for the cached forward, lib/model/kv_cache.h).
  std::array<torch::Tensor, 3> Project(const torch::Tensor& x) {
    auto heads = [&](const torch::Tensor& t) {
      return t.reshape({x.size(0), x.size(1), heads_, head_dim_}).transpose(1, 2);
    };
    return {heads(q_proj(x)), heads(k_proj(x)), heads(v_proj(x))};
  }
  torch::Tensor Output(const torch::Tensor& heads_out, const torch::Tensor& head_mask) {
    const int64_t B = heads_out.size(0), n = heads_out.size(2);
    return out_proj(MaskHeads(heads_out, head_mask).transpose(1, 2).reshape({B, n, heads_ * head_dim_}));
  }
  const std::vector<AttentionPattern>& patterns() const { return patterns_; }

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t heads_, head_dim_;
  double dropout_;
  SparseAttentionImpl impl_;
  std::vector<AttentionPattern> patterns_;
};
TORCH_MODULE(SparseMultiheadAttention);

// x + Drop(SparseMHA(LN1 x)), then x + Drop(linear2(Drop(ReLU(linear1(LN2 x))))).
class SparseLayerImpl : public torch::nn::Module {
 public:
  SparseLayerImpl(const SparseConfig& c, const std::vector<AttentionPattern>& patterns) : dropout_(c.dropout) {
    self_attn = register_module("self_attn", SparseMultiheadAttention(c, patterns));
    linear1 = register_module("linear1", torch::nn::Linear(c.d_model, c.ff));
    linear2 = register_module("linear2", torch::nn::Linear(c.ff, c.d_model));
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})));
  }

  torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>* attention, const torch::Tensor& head_mask) {
    return Residuals(x, self_attn(norm1(x), attention, head_mask));
  }

  // The layer around its attention's output `attended` ([B, n, d]) for the input rows x.
  torch::Tensor Residuals(torch::Tensor x, const torch::Tensor& attended) {
    auto drop = F::DropoutFuncOptions().p(dropout_).training(is_training());
    x = x + F::dropout(attended, drop);
    return x + F::dropout(linear2(F::dropout(torch::relu(linear1(norm2(x))), drop)), drop);
  }

  SparseMultiheadAttention self_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(SparseLayer);

class SparseModel : public LanguageModel {
 public:
  SparseModel(const SparseConfig& c, const HeadPatterns& patterns) : config_(c) {
    token_embedding = register_module("token_embedding", torch::nn::Embedding(kVocabSize, c.d_model));
    if (c.embedding_std != 1.0) {
      torch::NoGradGuard no_grad;
      token_embedding->weight.mul_(c.embedding_std);  // the same draws, so the rest of a seed is unchanged
    }
    pos_encoder = register_module("pos_encoder", PositionalEncoding(c.d_model, c.max_len));
    transformer_encoder = register_module("transformer_encoder", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.layers; ++i) transformer_encoder->push_back(SparseLayer(c, patterns.Layer(i)));
    output_projection = register_module("output_projection", TiedOutput(c.d_model));
  }

  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) override {
    return Run(tokens, attention);
  }
  std::string Kind() const override { return "sparse"; }
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
      layers.push_back(PreNormCachedLayer(transformer_encoder[i]->as<SparseLayer>(), HeadMaskRow(i)));
    }
    auto embed = [this](const torch::Tensor& t, int64_t first) { return Embed(t, first); };
    return Logits(cache.Extend(tokens, embed, layers));
  }

  std::unique_ptr<DecoderWeights> DecoderWeightsOnCpu() override {
    if (!IsFloatOnCpu(*this)) return nullptr;
    auto w = std::make_unique<DecoderWeights>();
    w->heads = config_.heads;
    w->embedding = ToRowMatrix(token_embedding->weight);
    w->embedding_scale = static_cast<float>(std::sqrt(static_cast<double>(config_.d_model)));
    w->positions = ToRowMatrix(pos_encoder->pe[0]);
    for (int64_t i = 0; i < config_.layers; ++i) {
      SparseLayerImpl* layer = transformer_encoder[i]->as<SparseLayer>();
      const SparseMultiheadAttentionImpl& a = *layer->self_attn;
      w->layers.push_back({LayerNormOf(*layer->norm1),
                           LinearOf(torch::cat({a.q_proj->weight, a.k_proj->weight, a.v_proj->weight}),
                                    torch::cat({a.q_proj->bias, a.k_proj->bias, a.v_proj->bias})),
                           a.patterns(), HeadScale(i), LinearOf(*a.out_proj), 1.0f,
                           FeedForwardWeights{LayerNormOf(*layer->norm2), LinearOf(*layer->linear1), Activation::kRelu,
                                              LinearOf(*layer->linear2)}});
    }
    w->output_bias = ToRowVector(output_projection->bias);
    return w;
  }

 private:
  // The layers' input for `tokens` ([B, n]) at positions [first, first + n).
  torch::Tensor Embed(const torch::Tensor& tokens, int64_t first) {
    torch::Tensor x = token_embedding(tokens) * std::sqrt(static_cast<double>(config_.d_model));
    if (is_training() && config_.token_dropout > 0) {
      x = x.masked_fill((torch::rand(tokens.sizes(), x.options()) < config_.token_dropout).unsqueeze(-1), 0.0);
    }
    using torch::indexing::Slice;
    return F::dropout(x + pos_encoder->pe.index({Slice(), Slice(first, first + tokens.size(1))}),
                      F::DropoutFuncOptions().p(config_.dropout).training(is_training()));
  }
  torch::Tensor Logits(const torch::Tensor& x) {
    return F::linear(x, token_embedding->weight, output_projection->bias);
  }

  torch::Tensor Run(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) {
    CheckTokens(tokens, config_.max_len);
    torch::Tensor x = Embed(tokens, 0);
    for (int64_t i = 0; i < config_.layers; ++i) {
      x = transformer_encoder[i]->as<SparseLayer>()->forward(x, attention, HeadMaskRow(i));
    }
    return Logits(x);
  }

  SparseConfig config_;
  torch::nn::Embedding token_embedding{nullptr};
  PositionalEncoding pos_encoder{nullptr};
  torch::nn::ModuleList transformer_encoder{nullptr};
  TiedOutput output_projection{nullptr};
};

const ConfigFields<SparseConfig>& Fields() {
  static const auto* fields = [] {
    auto* f = new ConfigFields<SparseConfig>(TransformerSizeFields<SparseConfig>());
    f->insert(f->end(), {{"dropout", &SparseConfig::dropout, 0, 1},
                         {"token_dropout", &SparseConfig::token_dropout, 0, 1},
                         {"embedding_std", &SparseConfig::embedding_std, 1e-6, 1e3, /*optional=*/true},
                         {"mask_subset", &SparseConfig::mask_subset},
                         {"head_patterns", &SparseConfig::head_patterns}});
    return f;
  }();
  return *fields;
}

// The state dict of a model of `c`, by the structure above (the test compares it with a
// built model's).
std::vector<TensorShape> Tensors(const SparseConfig& c) {
  const int64_t d = c.d_model;
  std::vector<TensorShape> t = {{"token_embedding.weight", {kVocabSize, d}}, {"pos_encoder.pe", {1, c.max_len, d}}};
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = absl::StrCat("transformer_encoder.", i, ".");
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      t.push_back({absl::StrCat(p, "self_attn.", proj, ".weight"), {d, d}});
      t.push_back({absl::StrCat(p, "self_attn.", proj, ".bias"), {d}});
    }
    t.push_back({p + "linear1.weight", {c.ff, d}});
    t.push_back({p + "linear1.bias", {c.ff}});
    t.push_back({p + "linear2.weight", {d, c.ff}});
    t.push_back({p + "linear2.bias", {d}});
    for (const char* norm : {"norm1", "norm2"}) {
      t.push_back({absl::StrCat(p, norm, ".weight"), {d}});
      t.push_back({absl::StrCat(p, norm, ".bias"), {d}});
    }
  }
  t.push_back({"output_projection.bias", {kVocabSize}});
  t.push_back({"output_projection.weight", {kVocabSize, d}});
  return t;
}

// The default assignment (with the ablation) or the explicit digits, in every layer.
absl::StatusOr<HeadPatterns> DigitPatterns(const SparseConfig& c) {
  absl::StatusOr<std::vector<std::string>> names = c.head_patterns.empty()
                                                       ? DefaultHeadPatternNames(c.heads, c.mask_subset)
                                                       : ParseHeadPatternDigits(c.head_patterns, c.heads);
  if (!names.ok()) return names.status();
  return HeadPatterns::SameEveryLayer({}, *names, c.layers);
}

}  // namespace

absl::Status SparseConfig::Validate() const {
  if (absl::Status s = ValidateFields(Fields(), *this); !s.ok()) return s;
  if (absl::Status s = CheckHeadsDivideWidth(d_model, heads); !s.ok()) return s;
  if (absl::Status s = CheckPatternsFit(patterns, layers, heads); !s.ok()) return s;
  if (!patterns.empty() && !(mask_subset.empty() && head_patterns.empty())) {
    return absl::InvalidArgumentError(
        "give either attention patterns (a pattern file) or mask_subset / head_patterns, not both");
  }
  return ResolvedPatterns().status();
}

absl::StatusOr<HeadPatterns> SparseConfig::ResolvedPatterns() const {
  if (!patterns.empty()) return patterns;
  return DigitPatterns(*this);
}

Metadata SparseConfig::ToMetadata() const {
  Metadata m = FieldsToMetadata(Fields(), *this);
  if (absl::StatusOr<HeadPatterns> p = ResolvedPatterns(); p.ok()) {
    m[kPatternsKey] = PatternsMetadataText(*p);
    m["head_patterns"] = p->SameEveryLayer() ? FormatHeadPatternDigits(p->LayerNames(0)) : "";
  }
  return m;
}

absl::StatusOr<SparseConfig> SparseConfig::FromMetadata(const Metadata& metadata) {
  absl::StatusOr<SparseConfig> c = FieldsFromMetadata(Fields(), metadata);
  if (!c.ok()) return c;
  // Checkpoints before pattern files have only the digits; later ones also the resolved
  // patterns, which are the digits' own unless a pattern file gave them.
  absl::StatusOr<HeadPatterns> stored = PatternsFromMetadata(metadata, c->layers, c->heads);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<HeadPatterns> digits = DigitPatterns(*c);
  // (Validate refuses stored patterns that differ from recorded digits.)
  if (!stored->empty() && !(digits.ok() && *digits == *stored)) c->patterns = *std::move(stored);
  return c;
}

absl::StatusOr<std::shared_ptr<LanguageModel>> MakeSparseModel(const SparseConfig& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  return std::shared_ptr<LanguageModel>(std::make_shared<SparseModel>(config, *config.ResolvedPatterns()));
}

ModelKind SparseModelKind() {
  std::vector<std::string> keys = FieldKeys(Fields());
  keys.push_back(kPatternsKey);
  return MakeModelKind<SparseConfig>("sparse", std::move(keys), Tied(), Tensors, MakeSparseModel);
}

}  // namespace attn::model
