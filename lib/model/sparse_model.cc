#include "lib/model/sparse_model.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/model/model_parts.h"

namespace attn::model {
namespace {

namespace F = torch::nn::functional;

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

  torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>* attention) {
    const int64_t B = x.size(0), L = x.size(1), d = x.size(2);
    auto heads = [&](const torch::Tensor& t) { return t.reshape({B, L, heads_, head_dim_}).transpose(1, 2); };
    SparseAttentionOptions options;
    options.dropout = dropout_;
    options.training = is_training();
    options.impl = impl_;
    torch::Tensor probs;
    torch::Tensor out = SparseAttention(heads(q_proj(x)), heads(k_proj(x)), heads(v_proj(x)), patterns_, options,
                                        attention != nullptr ? &probs : nullptr);
    if (attention != nullptr) attention->push_back(probs);
    return out_proj(out.transpose(1, 2).reshape({B, L, d}));
  }

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

  torch::Tensor forward(torch::Tensor x, std::vector<torch::Tensor>* attention) {
    auto drop = F::DropoutFuncOptions().p(dropout_).training(is_training());
    x = x + F::dropout(self_attn(norm1(x), attention), drop);
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
  SparseModel(const SparseConfig& c, const std::vector<AttentionPattern>& patterns) : config_(c) {
    config_.head_patterns = FormatHeadPatternDigits(*c.PatternNames());
    token_embedding = register_module("token_embedding", torch::nn::Embedding(kVocabSize, c.d_model));
    pos_encoder = register_module("pos_encoder", PositionalEncoding(c.d_model, c.max_len));
    transformer_encoder = register_module("transformer_encoder", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.layers; ++i) transformer_encoder->push_back(SparseLayer(c, patterns));
    output_projection = register_module("output_projection", TiedOutput(c.d_model));
  }

  torch::Tensor ForwardWithAttention(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) override {
    return Run(tokens, attention);
  }
  std::string Kind() const override { return "sparse"; }
  std::map<std::string, std::string> ConfigMetadata() const override { return config_.ToMetadata(); }
  int64_t MaxSeqLen() const override { return config_.max_len; }
  int64_t NumLayers() const override { return config_.layers; }
  int64_t NumHeads() const override { return config_.heads; }

 private:
  torch::Tensor Run(const torch::Tensor& tokens, std::vector<torch::Tensor>* attention) {
    CheckTokens(tokens, config_.max_len);
    const int64_t L = tokens.size(1);
    torch::Tensor x = token_embedding(tokens) * std::sqrt(static_cast<double>(config_.d_model));
    if (is_training() && config_.token_dropout > 0) {
      x = x.masked_fill((torch::rand(tokens.sizes(), x.options()) < config_.token_dropout).unsqueeze(-1), 0.0);
    }
    using torch::indexing::Slice;
    x = F::dropout(x + pos_encoder->pe.index({Slice(), Slice(0, L)}),
                   F::DropoutFuncOptions().p(config_.dropout).training(is_training()));
    for (const auto& layer : *transformer_encoder) x = layer->as<SparseLayer>()->forward(x, attention);
    return F::linear(x, token_embedding->weight, output_projection->bias);
  }

  SparseConfig config_;
  torch::nn::Embedding token_embedding{nullptr};
  PositionalEncoding pos_encoder{nullptr};
  torch::nn::ModuleList transformer_encoder{nullptr};
  TiedOutput output_projection{nullptr};
};

}  // namespace

absl::Status SparseConfig::Validate() const {
  for (auto [name, v] : {std::pair<const char*, int64_t>{"d_model", d_model}, {"heads", heads}, {"layers", layers},
                         {"ff", ff}, {"max_len", max_len}}) {
    if (v <= 0) return absl::InvalidArgumentError(absl::StrCat(name, " = ", v, " must be positive"));
  }
  if (d_model % heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("heads = ", heads, " must divide d_model = ", d_model, " (each head gets d_model / heads)"));
  }
  if (d_model % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("d_model = ", d_model, " must be even (sinusoidal table)"));
  }
  for (auto [name, p] : {std::pair<const char*, double>{"dropout", dropout}, {"token_dropout", token_dropout}}) {
    if (!(p >= 0.0 && p < 1.0)) return absl::InvalidArgumentError(absl::StrCat(name, " = ", p, " must be in [0, 1)"));
  }
  return Patterns().status();
}

absl::StatusOr<std::vector<std::string>> SparseConfig::PatternNames() const {
  if (!head_patterns.empty()) return ParseHeadPatternDigits(head_patterns, heads);
  return DefaultHeadPatternNames(heads, mask_subset);
}

absl::StatusOr<std::vector<AttentionPattern>> SparseConfig::Patterns() const {
  absl::StatusOr<std::vector<std::string>> names = PatternNames();
  if (!names.ok()) return names.status();
  std::vector<AttentionPattern> patterns;
  for (const std::string& name : *names) patterns.push_back(*BuiltinPattern(name));
  return patterns;
}

std::map<std::string, std::string> SparseConfig::ToMetadata() const {
  std::map<std::string, std::string> m = {{"d_model", std::to_string(d_model)},
                                          {"heads", std::to_string(heads)},
                                          {"layers", std::to_string(layers)},
                                          {"ff", std::to_string(ff)},
                                          {"max_len", std::to_string(max_len)},
                                          {"dropout", FormatDouble(dropout)},
                                          {"token_dropout", FormatDouble(token_dropout)},
                                          {"mask_subset", mask_subset},
                                          {"head_patterns", head_patterns}};
  if (absl::StatusOr<std::vector<std::string>> p = PatternNames(); p.ok()) m["head_patterns"] = FormatHeadPatternDigits(*p);
  return m;
}

absl::StatusOr<SparseConfig> SparseConfig::FromMetadata(const std::map<std::string, std::string>& metadata) {
  SparseConfig c;
  for (auto [key, field] : {std::pair<const char*, int64_t*>{"d_model", &c.d_model}, {"heads", &c.heads},
                            {"layers", &c.layers}, {"ff", &c.ff}, {"max_len", &c.max_len}}) {
    absl::StatusOr<int64_t> v = MetadataInt(metadata, key);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  for (auto [key, field] :
       {std::pair<const char*, double*>{"dropout", &c.dropout}, {"token_dropout", &c.token_dropout}}) {
    absl::StatusOr<double> v = MetadataDouble(metadata, key);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  for (auto [key, field] :
       {std::pair<const char*, std::string*>{"mask_subset", &c.mask_subset}, {"head_patterns", &c.head_patterns}}) {
    auto it = metadata.find(key);
    if (it == metadata.end()) return absl::InvalidArgumentError(absl::StrCat("metadata lacks \"", key, "\""));
    *field = it->second;
  }
  return c;
}

absl::StatusOr<std::shared_ptr<LanguageModel>> MakeSparseModel(const SparseConfig& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  absl::StatusOr<std::vector<AttentionPattern>> patterns = config.Patterns();
  if (!patterns.ok()) return patterns.status();
  return std::shared_ptr<LanguageModel>(std::make_shared<SparseModel>(config, *patterns));
}

}  // namespace attn::model
