// Attention with a known structure, for tests and benchmarks of the pattern fit: each row's
// probability spread over the keys a pattern allows, optionally mixed with uniform causal
// noise.
#ifndef ATTN_LIB_STUDY_PLANTED_ATTENTION_H_
#define ATTN_LIB_STUDY_PLANTED_ATTENTION_H_

#include <cstdint>
#include <vector>

#include "lib/model/attention_patterns.h"

namespace attn::study {

// A row-major [seq_len, seq_len] matrix whose row i is (1 - noise) times random positive
// weights (uniform in [0.5, 1.5)) over pattern.Keys(i), normalised, plus noise times the
// uniform distribution over keys 0..i. A row the pattern allows no key gets the noise alone,
// renormalised to 1 (or stays zero when noise is 0). Equal arguments give equal matrices.
std::vector<float> PlantedAttention(const model::AttentionPattern& pattern, int64_t seq_len, double noise,
                                    uint64_t seed);

}  // namespace attn::study

#endif  // ATTN_LIB_STUDY_PLANTED_ATTENTION_H_
