#include "lib/model/pattern_file.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/io/atomic_file.h"

namespace attn::model {
namespace {

using nlohmann::json;

absl::Status FieldError(const std::string& source, const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, " ", what));
}

// Reads an integer field; json numbers that are not integers are errors.
absl::StatusOr<int64_t> Integer(const json& value, const std::string& source, const std::string& field) {
  if (!value.is_number_integer()) return FieldError(source, field, "must be an integer");
  return value.get<int64_t>();
}

absl::StatusOr<AttentionPattern> ParsePattern(const json& object, const std::string& source,
                                              const std::string& field) {
  if (!object.is_object()) return FieldError(source, field, "must be an object with window, stride, anchors");
  AttentionPattern p;
  for (const auto& [key, value] : object.items()) {
    const std::string name = absl::StrCat(field, ".", key);
    if (key == "window") {
      absl::StatusOr<int64_t> w = Integer(value, source, name);
      if (!w.ok()) return w.status();
      if (*w < kUnboundedWindow) return FieldError(source, name, absl::StrCat("= ", *w, " must be >= 0, or -1 for unbounded"));
      p.window = *w;
    } else if (key == "stride") {
      absl::StatusOr<int64_t> s = Integer(value, source, name);
      if (!s.ok()) return s.status();
      if (*s < 0) return FieldError(source, name, absl::StrCat("= ", *s, " must be >= 0 (0 for none)"));
      p.stride = *s;
    } else if (key == "anchors") {
      if (!value.is_array()) return FieldError(source, name, "must be a list of fractions in [0, 1]");
      for (size_t k = 0; k < value.size(); ++k) {
        const std::string item = absl::StrCat(name, "[", k, "]");
        if (!value[k].is_number()) return FieldError(source, item, "must be a number in [0, 1]");
        const double r = value[k].get<double>();
        if (!(r >= 0.0 && r <= 1.0)) return FieldError(source, item, absl::StrCat("= ", r, " must be a fraction in [0, 1]"));
        p.anchors.push_back(r);
      }
    } else {
      return FieldError(source, name, "is not a pattern field (use window, stride, anchors)");
    }
  }
  return p;
}

absl::StatusOr<std::vector<std::string>> NameList(const json& list, const std::string& source,
                                                  const std::string& field, int64_t heads) {
  if (static_cast<int64_t>(list.size()) != heads) {
    return FieldError(source, field, absl::StrCat("has ", list.size(), " names for ", heads, " heads; give one per head"));
  }
  std::vector<std::string> names;
  for (size_t h = 0; h < list.size(); ++h) {
    if (!list[h].is_string()) return FieldError(source, absl::StrCat(field, "[", h, "]"), "must be a pattern name");
    names.push_back(list[h].get<std::string>());
  }
  return names;
}

}  // namespace

absl::StatusOr<HeadPatterns> ParsePatternFile(std::string_view text, const std::string& source, int64_t layers,
                                              int64_t heads) {
  const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(source, ": not JSON"));
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(source, ": must be a JSON object with \"patterns\" and \"heads\""));
  std::vector<NamedPattern> defined;
  if (root.contains("patterns")) {
    const json& patterns = root["patterns"];
    if (!patterns.is_object()) return FieldError(source, "patterns", "must be an object of named patterns");
    for (const auto& [name, object] : patterns.items()) {
      absl::StatusOr<AttentionPattern> p = ParsePattern(object, source, absl::StrCat("patterns.", name));
      if (!p.ok()) return p.status();
      defined.push_back({name, *p});
    }
  }
  if (!root.contains("heads")) return FieldError(source, "heads", "is missing: give one pattern name per head");
  const json& list = root["heads"];
  if (!list.is_array() || list.empty()) return FieldError(source, "heads", "must be a list of names, or one list per layer");
  std::vector<std::vector<std::string>> names;
  if (list[0].is_array()) {
    if (static_cast<int64_t>(list.size()) != layers) {
      return FieldError(source, "heads", absl::StrCat("has ", list.size(), " per-layer lists for ", layers, " layers"));
    }
    for (size_t l = 0; l < list.size(); ++l) {
      const std::string field = absl::StrCat("heads[", l, "]");
      if (!list[l].is_array()) return FieldError(source, field, "must be a list of names (the other layers have lists)");
      absl::StatusOr<std::vector<std::string>> layer = NameList(list[l], source, field, heads);
      if (!layer.ok()) return layer.status();
      names.push_back(*std::move(layer));
    }
  } else {
    absl::StatusOr<std::vector<std::string>> layer = NameList(list, source, "heads", heads);
    if (!layer.ok()) return layer.status();
    names.assign(layers, *layer);
  }
  absl::StatusOr<HeadPatterns> result = HeadPatterns::Make(defined, names);
  if (!result.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", result.status().message()));
  return result;
}

absl::StatusOr<HeadPatterns> ReadPatternFile(const std::string& path, int64_t layers, int64_t heads) {
  absl::StatusOr<std::string> text = io::ReadFile(path);
  if (!text.ok()) return text.status();
  return ParsePatternFile(*text, path, layers, heads);
}

std::string PatternFileText(const HeadPatterns& patterns, const json& extra, int indent) {
  json root = json::object();
  json defined = json::object();
  for (const NamedPattern& p : patterns.patterns()) {
    json object = json::object();
    if (p.pattern.window.has_value()) object["window"] = *p.pattern.window;
    if (p.pattern.stride > 0) object["stride"] = p.pattern.stride;
    if (!p.pattern.anchors.empty()) object["anchors"] = p.pattern.anchors;
    defined[p.name] = object;
  }
  root["patterns"] = defined;
  if (patterns.SameEveryLayer() && patterns.layers() > 0) {
    root["heads"] = patterns.LayerNames(0);
  } else {
    json layers = json::array();
    for (int64_t l = 0; l < patterns.layers(); ++l) layers.push_back(patterns.LayerNames(l));
    root["heads"] = layers;
  }
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) {
      if (key != "patterns" && key != "heads") root[key] = value;
    }
  }
  return root.dump(indent);
}

}  // namespace attn::model
