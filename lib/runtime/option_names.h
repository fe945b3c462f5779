// How library messages name the options of a tool without knowing its flags.
//
// A library names an option by its field, marked: Opt("seq_len") is "`seq_len`", so an
// error reads "`seq_len`=2000 is longer than the positional table". The tool that prints
// the message spells each marked name as its own flag ("--seq_len=2000 ..."), and a name
// it has no flag for as the bare name. Field names therefore equal flag names wherever a
// tool exposes the field; no message needs a table of flag names.
#ifndef ATTN_LIB_RUNTIME_OPTION_NAMES_H_
#define ATTN_LIB_RUNTIME_OPTION_NAMES_H_

#include <functional>
#include <string>
#include <string_view>

namespace attn::runtime {

// The marked name of option `field` ("`field`").
std::string Opt(std::string_view field);

// `message` with every marked name `field` (letters, digits and '_', starting with a
// letter) replaced by spell(field). Backticks around anything else are left alone.
std::string SpellOptions(std::string_view message,
                         const std::function<std::string(std::string_view field)>& spell);

}  // namespace attn::runtime

#endif  // ATTN_LIB_RUNTIME_OPTION_NAMES_H_
