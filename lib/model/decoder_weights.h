// A byte-level transformer's weights as plain float matrices, for generation's decoder
// (lib/model/decoder.h). Both models are the same pre-norm layer around different
// embeddings and outputs, so this one description covers them; each model fills it from its
// own modules (LanguageModel::DecoderWeightsOnCpu).
#ifndef ATTN_LIB_MODEL_DECODER_WEIGHTS_H_
#define ATTN_LIB_MODEL_DECODER_WEIGHTS_H_

#include <optional>
#include <vector>

#include "Eigen/Core"
#include "lib/model/attention_patterns.h"
#include "torch/torch.h"

namespace attn::model {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// y = x weight^T + bias for each row x (torch.nn.Linear): weight [out, in], bias [out].
struct LinearWeights {
  RowMatrix weight;
  Eigen::RowVectorXf bias;
};

struct LayerNormWeights {
  Eigen::RowVectorXf weight, bias;
  float eps = 1e-5f;
};

enum class Activation { kGelu, kSilu, kRelu };

// x + gamma * out(activation(in(norm(x)))).
struct FeedForwardWeights {
  LayerNormWeights norm;
  LinearWeights in;
  Activation activation = Activation::kRelu;
  LinearWeights out;
  float gamma = 1;
};

// x + gamma * out(attention(qkv(norm(x)))), then the feed-forward.
struct DecoderLayerWeights {
  LayerNormWeights norm;
  LinearWeights qkv;                       // [3 d, d]: the queries', keys' and values' rows
  std::vector<AttentionPattern> patterns;  // one per head; empty: full causal attention
  Eigen::RowVectorXf head_scale;           // [heads]: the head mask's row, ones without one
  LinearWeights out;
  float gamma = 1;
  FeedForwardWeights feed_forward;
};

// The layers' input at position p for byte b: embedding[b] * embedding_scale + positions[p],
// then position_ff when set. The logits: final_norm (when set) of the last layer's output,
// times embedding^T (tied), plus output_bias.
struct DecoderWeights {
  int64_t heads = 0;
  RowMatrix embedding;  // [256, d]
  float embedding_scale = 1;
  RowMatrix positions;  // [max_len, d]
  std::optional<FeedForwardWeights> position_ff;
  std::vector<DecoderLayerWeights> layers;
  std::optional<LayerNormWeights> final_norm;
  Eigen::RowVectorXf output_bias;  // [256]
};

// Copies of module weights (float32 on the CPU).
RowMatrix ToRowMatrix(const torch::Tensor& t);  // 2-D
Eigen::RowVectorXf ToRowVector(const torch::Tensor& t);  // any shape, flattened
LinearWeights LinearOf(const torch::Tensor& weight, const torch::Tensor& bias);
LinearWeights LinearOf(const torch::nn::LinearImpl& linear);
LayerNormWeights LayerNormOf(const torch::nn::LayerNormImpl& norm);

// Whether every parameter and buffer of `module` is float32 on the CPU: what the copies
// above read.
bool IsFloatOnCpu(const torch::nn::Module& module);

}  // namespace attn::model

#endif  // ATTN_LIB_MODEL_DECODER_WEIGHTS_H_
