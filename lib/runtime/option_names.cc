#include "lib/runtime/option_names.h"

#include <cctype>

namespace attn::runtime {
namespace {

bool IsFieldName(std::string_view text) {
  if (text.empty() || !std::islower(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string Opt(std::string_view field) {
  std::string marked = "`";
  marked += field;
  marked += '`';
  return marked;
}

std::string SpellOptions(std::string_view message,
                         const std::function<std::string(std::string_view field)>& spell) {
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    const size_t open = message.find('`', i);
    if (open == std::string_view::npos) break;
    const size_t close = message.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view field = message.substr(open + 1, close - open - 1);
    out.append(message.substr(i, open - i));
    if (IsFieldName(field)) {
      out += spell(field);
      i = close + 1;
    } else {
      out += '`';  // not a marked name: keep the backtick, look again from the next one
      i = open + 1;
    }
  }
  out.append(message.substr(i));
  return out;
}

}  // namespace attn::runtime
