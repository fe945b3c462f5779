#include "lib/runtime/cpu_features.h"

#include <cpuid.h>

#include <utility>

namespace attn::runtime {
namespace {

bool Bit(uint64_t word, int bit) { return (word >> bit) & 1; }

// XCR0 state components the OS must save for a feature's registers to be usable.
constexpr uint64_t kXcr0Avx = (1u << 1) | (1u << 2);                         // XMM, YMM
constexpr uint64_t kXcr0Avx512 = kXcr0Avx | (1u << 5) | (1u << 6) | (1u << 7);  // opmask, ZMM
constexpr uint64_t kXcr0Amx = (1u << 17) | (1u << 18);                       // XTILECFG, XTILEDATA

bool Enabled(uint64_t xcr0, uint64_t mask) { return (xcr0 & mask) == mask; }

uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv without a target attribute, so the file builds for any x86-64 CPU.
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

}  // namespace

CpuFeatures DecodeCpuFeatures(const CpuidRegisters& r) {
  CpuFeatures f;
  const bool os_xsave = Bit(r.leaf1_ecx, 27);
  const uint64_t xcr0 = os_xsave ? r.xcr0 : 0;
  const bool avx = Bit(r.leaf1_ecx, 28) && Enabled(xcr0, kXcr0Avx);
  const bool leaf7 = r.max_leaf >= 7;
  f.avx2 = avx && leaf7 && Bit(r.leaf7_ebx, 5) && Bit(r.leaf1_ecx, 12);
  f.avx512f = leaf7 && Bit(r.leaf7_ebx, 16) && Enabled(xcr0, kXcr0Avx512);
  f.avx512bw = f.avx512f && Bit(r.leaf7_ebx, 30);
  f.avx512_bf16 = f.avx512f && r.leaf7_eax >= 1 && Bit(r.leaf7_1_eax, 5);
  f.amx_bf16 = leaf7 && Bit(r.leaf7_edx, 22) && Bit(r.leaf7_edx, 24) && Enabled(xcr0, kXcr0Amx);
  return f;
}

CpuidRegisters ReadCpuidRegisters() {
  static const CpuidRegisters registers = [] {
    CpuidRegisters r;
    uint32_t eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return r;
    r.max_leaf = eax;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) r.leaf1_ecx = ecx;
    if (r.max_leaf >= 7 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
      r.leaf7_eax = eax;
      r.leaf7_ebx = ebx;
      r.leaf7_edx = edx;
      if (r.leaf7_eax >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) r.leaf7_1_eax = eax;
    }
    if (Bit(r.leaf1_ecx, 27)) r.xcr0 = ReadXcr0();
    return r;
  }();
  return registers;
}

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = DecodeCpuFeatures(ReadCpuidRegisters());
  return features;
}

bool HasNativeBf16(const CpuFeatures& features) {
  return (features.avx512_bf16 && features.avx512bw) || features.amx_bf16;
}

std::string DescribeCpuFeatures(const CpuFeatures& f) {
  std::string out;
  for (const auto& [present, name] : {std::pair<bool, const char*>{f.avx2, "avx2"},
                                      {f.avx512f, "avx512f"},
                                      {f.avx512bw, "avx512bw"},
                                      {f.avx512_bf16, "avx512_bf16"},
                                      {f.amx_bf16, "amx_bf16"}}) {
    if (!present) continue;
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace attn::runtime
