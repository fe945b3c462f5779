#include "lib/interop/pickle_rewrite.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/io/printable.h"

namespace attn::interop {
namespace {

// What a stack entry is, as far as the checks need to know.
enum class Kind : uint8_t {
  kScalar,            // bool, float
  kInt,
  kString,
  kNone,
  kStorageType,       // torch.FloatStorage and the like
  kStorage,           // a persistent id: a tensor's storage record
  kTensor,            // _rebuild_tensor_v2(...)
  kRebuildTensor,     // the global torch._utils._rebuild_tensor_v2
  kOrderedDictClass,  // the global collections.OrderedDict
  kList,
  kDict,
  kTuple,
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kScalar: return "a number";
    case Kind::kInt: return "an integer";
    case Kind::kString: return "a string";
    case Kind::kNone: return "None";
    case Kind::kStorageType: return "a storage type";
    case Kind::kStorage: return "a storage";
    case Kind::kTensor: return "a tensor";
    case Kind::kRebuildTensor: return "torch._utils._rebuild_tensor_v2";
    case Kind::kOrderedDictClass: return "collections.OrderedDict";
    case Kind::kList: return "a list";
    case Kind::kDict: return "a dict";
    case Kind::kTuple: return "a tuple";
  }
  return "?";
}

// Tuples up to this size keep their elements' kinds (a storage record has 5 or 6, the
// arguments of _rebuild_tensor_v2 6 or 7).
constexpr size_t kTrackedTupleSize = 8;

// The storage types LibTorch's reader maps to a dtype, of the dtypes a checkpoint can hold.
constexpr const char* kStorageTypes[] = {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
                                         "LongStorage",  "IntStorage",    "ShortStorage", "CharStorage",
                                         "ByteStorage",  "BoolStorage"};

struct Value {
  Kind kind = Kind::kScalar;
  size_t start = 0;    // input offset of the first opcode that built this value
  int64_t id = -1;     // containers (lists, dicts, tuples): index into Scanner::containers_
  bool alias = false;  // fetched from the memo, so shared: may not be modified
  std::vector<Kind> elements;  // tuples of up to kTrackedTupleSize elements
};

struct Container {
  int depth = 1;
  bool sealed = false;        // an alias was fetched: modifying it could make a cycle
  bool ordered_dict = false;  // made by OrderedDict(): BUILD may set its attributes
};

struct Mark {
  size_t stack_size;
  size_t start;  // input offset of the MARK opcode
};

// Replace input[pos, pos + length) by `bytes` (length 0 inserts).
struct Edit {
  size_t pos;
  size_t length;
  std::string bytes;
};

std::string OpcodeName(uint8_t op) {
  if (op >= 0x20 && op < 0x7f) return absl::StrFormat("'%c' (0x%02x)", op, op);
  return absl::StrFormat("0x%02x", op);
}

std::string BinUnicode(std::string_view s) {
  std::string out = "X";
  const uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(s);
  return out;
}

class Scanner {
 public:
  explicit Scanner(std::string_view input) : in_(input) {}

  absl::StatusOr<RewrittenPickle> Run() {
    if (in_.size() < 2 || static_cast<uint8_t>(in_[0]) != 0x80) {
      return absl::DataLossError("not a pickle: it does not start with the PROTO opcode");
    }
    if (static_cast<uint8_t>(in_[1]) != 2) {
      return absl::DataLossError(absl::StrCat(
          "pickle protocol ", static_cast<int>(static_cast<uint8_t>(in_[1])),
          ": LibTorch reads protocol 2 only, torch.save's default; save again without pickle_protocol"));
    }
    pos_ = 2;
    while (true) {
      if (pos_ >= in_.size()) return Error(pos_, "the pickle ends before its STOP opcode (truncated?)");
      const size_t at = pos_++;
      const uint8_t op = static_cast<uint8_t>(in_[at]);
      if (op == '.') {
        if (stack_.size() != 1 || !marks_.empty()) return Error(at, "STOP with an unfinished stack");
        if (stack_[0].kind == Kind::kOrderedDictClass) {
          return Error(at, "collections.OrderedDict used other than by a call");
        }
        return Finish(at + 1);
      }
      if (absl::Status s = Step(op, at); !s.ok()) return s;
    }
  }

 private:
  absl::Status Error(size_t at, const std::string& what) const {
    return absl::DataLossError(absl::StrCat("pickle byte ", at, ": ", what));
  }

  // Reads `n` argument bytes of the opcode at `at`.
  absl::StatusOr<std::string_view> Arg(size_t n, size_t at) {
    if (in_.size() - pos_ < n) return Error(at, "the pickle ends inside an opcode (truncated?)");
    std::string_view arg = in_.substr(pos_, n);
    pos_ += n;
    return arg;
  }
  template <typename T>
  absl::StatusOr<T> ArgInt(size_t at) {
    absl::StatusOr<std::string_view> arg = Arg(sizeof(T), at);
    if (!arg.ok()) return arg.status();
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<uint8_t>((*arg)[i])) << (8 * i);
    return value;
  }
  // The 1-byte or 4-byte memo id of BINPUT/BINGET or their LONG_ forms.
  absl::StatusOr<uint32_t> MemoId(bool short_form, size_t at) {
    if (!short_form) return ArgInt<uint32_t>(at);
    absl::StatusOr<uint8_t> id = ArgInt<uint8_t>(at);
    if (!id.ok()) return id.status();
    return *id;
  }
  // A newline-terminated argument of GLOBAL.
  absl::StatusOr<std::string_view> Line(size_t at) {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos || end - pos_ > 256) return Error(at, "a GLOBAL without its name line");
    std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }

  size_t Available() const { return stack_.size() - (marks_.empty() ? 0 : marks_.back().stack_size); }
  int Depth(const Value& v) const { return v.id >= 0 ? containers_[v.id].depth : 0; }

  void Push(Kind kind, size_t start) {
    Value v;
    v.kind = kind;
    v.start = start;
    stack_.push_back(std::move(v));
  }

  // A new container holding `items`.
  absl::Status PushContainer(Kind kind, size_t start, std::vector<Value> items, size_t at) {
    int depth = 1;
    for (const Value& item : items) depth = std::max(depth, Depth(item) + 1);
    if (depth > kMaxPickleDepth) return Error(at, absl::StrCat("containers nested deeper than ", kMaxPickleDepth));
    Value v;
    v.kind = kind;
    v.start = start;
    v.id = static_cast<int64_t>(containers_.size());
    containers_.push_back(Container{depth});
    if (kind == Kind::kTuple && items.size() <= kTrackedTupleSize) {
      for (const Value& item : items) v.elements.push_back(item.kind);
    }
    stack_.push_back(std::move(v));
    return absl::OkStatus();
  }

  // Pops `n` values, which must lie above the innermost mark. collections.OrderedDict
  // itself may only be called (REDUCE), never stored.
  absl::StatusOr<std::vector<Value>> Take(size_t n, size_t at, bool callable_first = false) {
    if (Available() < n) return Error(at, absl::StrCat("opcode needs ", n, " values on the stack"));
    std::vector<Value> out(std::make_move_iterator(stack_.end() - n), std::make_move_iterator(stack_.end()));
    stack_.resize(stack_.size() - n);
    for (size_t i = callable_first ? 1 : 0; i < out.size(); ++i) {
      if (out[i].kind == Kind::kOrderedDictClass) return Error(at, "collections.OrderedDict used other than by a call");
    }
    return out;
  }

  // Pops the innermost mark and the values above it.
  absl::StatusOr<std::pair<Mark, std::vector<Value>>> TakeToMark(size_t at) {
    if (marks_.empty()) return Error(at, "opcode needs a MARK");
    absl::StatusOr<std::vector<Value>> items = Take(Available(), at);
    if (!items.ok()) return items.status();
    const Mark mark = marks_.back();
    marks_.pop_back();
    return std::make_pair(mark, *std::move(items));
  }

  // Adds `items` to the list or dict on top of the stack (APPEND(S), SETITEM(S), BUILD).
  absl::Status AddTo(Kind kind, const std::vector<Value>& items, size_t at) {
    if (Available() < 1) return Error(at, absl::StrCat("no ", KindName(kind), " to add to"));
    const Value& target = stack_.back();
    if (target.kind != kind) return Error(at, absl::StrCat("adding items to ", KindName(target.kind)));
    Container& c = containers_[target.id];
    if (target.alias || c.sealed) return Error(at, "a container modified after it was shared (a recursive structure)");
    for (const Value& item : items) c.depth = std::max(c.depth, Depth(item) + 1);
    if (c.depth > kMaxPickleDepth) return Error(at, absl::StrCat("containers nested deeper than ", kMaxPickleDepth));
    return absl::OkStatus();
  }

  absl::Status Put(size_t id, size_t at) {
    if (stack_.empty()) return Error(at, "memo store of an empty stack");
    if (id > memo_.size()) return Error(at, absl::StrCat("memo id ", id, " skips ids (", memo_.size(), " used)"));
    if (id == memo_.size()) memo_.emplace_back();
    memo_[id] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Get(size_t id, size_t at) {
    if (id >= memo_.size()) return Error(at, absl::StrCat("memo id ", id, " was never stored"));
    Value v = memo_[id];
    v.start = at;
    if (v.id >= 0) {
      containers_[v.id].sealed = true;
      v.alias = true;
    }
    // Each call of the OrderedDict class becomes its own empty dict, made here.
    if (v.kind == Kind::kOrderedDictClass) edits_.push_back({at, pos_ - at, "}"});
    stack_.push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::Status Global(size_t at) {
    absl::StatusOr<std::string_view> module = Line(at);
    if (!module.ok()) return module.status();
    absl::StatusOr<std::string_view> name = Line(at);
    if (!name.ok()) return name.status();
    if (*module == "collections" && *name == "OrderedDict") {
      // LibTorch would make this None; an empty dict that REDUCE then leaves alone instead.
      edits_.push_back({at, pos_ - at, "}"});
      Push(Kind::kOrderedDictClass, at);
      return absl::OkStatus();
    }
    if (*module == "torch._utils" && *name == "_rebuild_tensor_v2") {
      Push(Kind::kRebuildTensor, at);
      return absl::OkStatus();
    }
    if (*module == "torch") {
      for (const char* type : kStorageTypes) {
        if (*name == type) {
          Push(Kind::kStorageType, at);
          return absl::OkStatus();
        }
      }
    }
    std::string hint =
        "only tensors, dicts, lists, tuples, strings and numbers can be read: save model.state_dict(), not the model";
    if (*name == "_rebuild_parameter") hint = "it holds nn.Parameter objects; save model.state_dict() instead";
    if (module->substr(0, 9) == "__torch__") hint = "a TorchScript object; save model.state_dict() with torch.save";
    // The names are the file's bytes: made printable, so a hostile one cannot break the line.
    return Error(at, absl::StrCat("refers to the Python object ", io::Printable(std::string(*module)), ".",
                                  io::Printable(std::string(*name)), ", which LibTorch cannot build (", hint, ")"));
  }

  absl::Status Reduce(size_t at) {
    absl::StatusOr<std::vector<Value>> v = Take(2, at, /*callable_first=*/true);
    if (!v.ok()) return v.status();
    const Value& callable = (*v)[0];
    const Value& args = (*v)[1];
    if (args.kind != Kind::kTuple) return Error(at, "call arguments are not a tuple");
    if (callable.kind == Kind::kOrderedDictClass) {
      if (!args.elements.empty() || args.alias || args.start + 1 != at) {
        return Error(at, "OrderedDict called with arguments");
      }
      // The dict already stands where the class was; drop the call `)R`.
      edits_.push_back({args.start, 2, ""});
      absl::Status s = PushContainer(Kind::kDict, callable.start, {}, at);
      containers_.back().ordered_dict = true;
      return s;
    }
    if (callable.kind == Kind::kRebuildTensor) {
      if (args.elements.size() < 5 || args.elements[0] != Kind::kStorage) {
        return Error(at, "_rebuild_tensor_v2 called without a storage");
      }
      Push(Kind::kTensor, callable.start);
      return absl::OkStatus();
    }
    return Error(at, absl::StrCat("a call of ", KindName(callable.kind)));
  }

  absl::Status Step(uint8_t op, size_t at) {
    switch (op) {
      case '(':
        marks_.push_back({stack_.size(), at});
        return absl::OkStatus();
      case ']':
        return PushContainer(Kind::kList, at, {}, at);
      case '}':
        return PushContainer(Kind::kDict, at, {}, at);
      case ')':
        return PushContainer(Kind::kTuple, at, {}, at);
      case 'N':
        Push(Kind::kNone, at);
        return absl::OkStatus();
      case 0x88:  // NEWTRUE
      case 0x89:  // NEWFALSE
        Push(Kind::kScalar, at);
        return absl::OkStatus();
      case 'K':
      case 'M':
      case 'J':
      case 'G': {
        const size_t n = op == 'K' ? 1 : op == 'M' ? 2 : op == 'J' ? 4 : 8;
        if (absl::StatusOr<std::string_view> arg = Arg(n, at); !arg.ok()) return arg.status();
        Push(op == 'G' ? Kind::kScalar : Kind::kInt, at);
        return absl::OkStatus();
      }
      case 0x8a: {  // LONG1: little-endian two's complement in n bytes; LibTorch reads n = 8 only
        absl::StatusOr<uint8_t> n = ArgInt<uint8_t>(at);
        if (!n.ok()) return n.status();
        if (*n > 8) return Error(at, "an integer wider than 64 bits");
        absl::StatusOr<std::string_view> digits = Arg(*n, at);
        if (!digits.ok()) return digits.status();
        if (*n != 8) {
          const bool negative = *n > 0 && (static_cast<uint8_t>(digits->back()) & 0x80);
          std::string wide = std::string("\x8a\x08", 2) + std::string(*digits);
          wide.resize(10, negative ? '\xff' : '\0');
          edits_.push_back({at, pos_ - at, wide});
        }
        Push(Kind::kInt, at);
        return absl::OkStatus();
      }
      case 'X': {
        absl::StatusOr<uint32_t> n = ArgInt<uint32_t>(at);
        if (!n.ok()) return n.status();
        if (absl::StatusOr<std::string_view> s = Arg(*n, at); !s.ok()) return s.status();
        Push(Kind::kString, at);
        return absl::OkStatus();
      }
      case 't':
      case 'l':
      case 'd': {
        auto items = TakeToMark(at);
        if (!items.ok()) return items.status();
        if (op == 'd' && items->second.size() % 2 != 0) return Error(at, "DICT with an odd number of items");
        const Kind kind = op == 't' ? Kind::kTuple : op == 'l' ? Kind::kList : Kind::kDict;
        return PushContainer(kind, items->first.start, std::move(items->second), at);
      }
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87: {  // TUPLE3
        absl::StatusOr<std::vector<Value>> items = Take(op - 0x84, at);
        if (!items.ok()) return items.status();
        const size_t start = (*items)[0].start;
        return PushContainer(Kind::kTuple, start, *std::move(items), at);
      }
      case 'a': {  // APPEND, which LibTorch lacks: MARK before the item, then APPENDS
        absl::StatusOr<std::vector<Value>> item = Take(1, at);
        if (!item.ok()) return item.status();
        if (absl::Status s = AddTo(Kind::kList, *item, at); !s.ok()) return s;
        edits_.push_back({(*item)[0].start, 0, "("});
        edits_.push_back({at, 1, "e"});
        return absl::OkStatus();
      }
      case 'e':
      case 'u': {
        auto items = TakeToMark(at);
        if (!items.ok()) return items.status();
        if (op == 'u' && items->second.size() % 2 != 0) return Error(at, "SETITEMS with an odd number of items");
        return AddTo(op == 'e' ? Kind::kList : Kind::kDict, items->second, at);
      }
      case 's': {  // SETITEM, which LibTorch lacks: MARK before the key, then SETITEMS
        absl::StatusOr<std::vector<Value>> items = Take(2, at);
        if (!items.ok()) return items.status();
        if (absl::Status s = AddTo(Kind::kDict, *items, at); !s.ok()) return s;
        edits_.push_back({(*items)[0].start, 0, "("});
        edits_.push_back({at, 1, "u"});
        return absl::OkStatus();
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes, kept under kObjectStateKey
        absl::StatusOr<std::vector<Value>> state = Take(1, at);
        if (!state.ok()) return state.status();
        if (Available() < 1 || stack_.back().kind != Kind::kDict ||
            !containers_[stack_.back().id].ordered_dict) {
          return Error(at, "BUILD of a Python object other than an OrderedDict");
        }
        if (absl::Status s = AddTo(Kind::kDict, *state, at); !s.ok()) return s;
        edits_.push_back({(*state)[0].start, 0, "(" + BinUnicode(kObjectStateKey)});
        edits_.push_back({at, 1, "u"});
        return absl::OkStatus();
      }
      case 'q':  // BINPUT
      case 'r': {  // LONG_BINPUT
        absl::StatusOr<uint32_t> id = MemoId(op == 'q', at);
        if (!id.ok()) return id.status();
        return Put(*id, at);
      }
      case 'h':  // BINGET
      case 'j': {  // LONG_BINGET
        absl::StatusOr<uint32_t> id = MemoId(op == 'h', at);
        if (!id.ok()) return id.status();
        return Get(*id, at);
      }
      case 'c':
        return Global(at);
      case 'R':
        return Reduce(at);
      case 'Q': {  // BINPERSID: ('storage', storage type, key, location, numel[, None])
        absl::StatusOr<std::vector<Value>> id = Take(1, at);
        if (!id.ok()) return id.status();
        const std::vector<Kind>& e = (*id)[0].elements;
        // A legacy file of PyTorch < 1.11 may name a view of a storage in the sixth: not read.
        if ((*id)[0].kind != Kind::kTuple || e.size() < 5 || e[0] != Kind::kString || e[1] != Kind::kStorageType ||
            e[2] != Kind::kString || e[3] != Kind::kString || e[4] != Kind::kInt ||
            (e.size() > 5 && (e.size() > 6 || e[5] != Kind::kNone))) {
          return Error(at, "a persistent id that is not a whole tensor storage record");
        }
        Push(Kind::kStorage, (*id)[0].start);
        return absl::OkStatus();
      }
      default:
        return Error(at, absl::StrCat("opcode ", OpcodeName(op),
                                      " is not one torch.save writes for tensors and plain values"));
    }
  }

  RewrittenPickle Finish(size_t end) {
    // Inserts before a replacement at the same offset: a MARK or key goes before the item
    // that starts there, and that item's first opcode may itself be rewritten.
    std::stable_sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) {
      return a.pos != b.pos ? a.pos < b.pos : a.length < b.length;
    });
    RewrittenPickle out;
    out.consumed = end;
    out.bytes.reserve(end + 16 * edits_.size());
    size_t cursor = 0;
    for (const Edit& e : edits_) {
      out.bytes.append(in_.substr(cursor, e.pos - cursor));
      out.bytes.append(e.bytes);
      cursor = e.pos + e.length;
    }
    out.bytes.append(in_.substr(cursor, end - cursor));
    return out;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::vector<Value> stack_;
  std::vector<Mark> marks_;
  std::vector<Value> memo_;
  std::vector<Container> containers_;
  std::vector<Edit> edits_;
};

}  // namespace

absl::StatusOr<RewrittenPickle> RewritePickle(std::string_view input) { return Scanner(input).Run(); }

}  // namespace attn::interop
