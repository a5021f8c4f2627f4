// Semantic analysis: imports, name resolution, dim and dtype inference, roles, the affine check.
#include "ssmc/Sema.h"
#include "ssmc/Parser.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>

namespace fs = std::filesystem;

namespace ssmc::sema {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::C64:
    return "c64";
  }
  return "f32";
}

std::optional<DType> parseDType(const std::string &s) {
  if (s == "f32")
    return DType::F32;
  if (s == "f16")
    return DType::F16;
  if (s == "bf16")
    return DType::BF16;
  if (s == "c64")
    return DType::C64;
  return std::nullopt;
}

std::string Layer::dimsString(const Dims &d) const {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i)
      s += ", ";
    s += d[i] >= 0 && static_cast<size_t>(d[i]) < dims.size() ? dims[d[i]].name : "?";
  }
  return s + "]";
}

const Tensor *Layer::tensor(const std::string &n) const {
  for (const Tensor &t : tensors)
    if (t.name == n)
      return &t;
  return nullptr;
}

namespace {

constexpr size_t kMaxFileBytes = 64u << 20;
constexpr int kMaxDepth = 900;
constexpr int kMaxInlineDepth = 64;
/// Bounds on a layer once lets are substituted and functions inlined: a chain of lets can make
/// a value arbitrarily deep (and every later stage walks values recursively), and functions that
/// each call the previous one twice grow exponentially.
constexpr int kMaxValueDepth = 1000;
constexpr size_t kMaxNodes = 200000;
/// Typing work (expressions visited) is bounded too: calls that fail make no nodes, but a
/// failing call inlined 2^30 times is still 2^30 visits. And past this many errors sema stops
/// typing: nobody reads them (the driver prints 50), and each costs a suggestion search.
constexpr size_t kMaxVisits = 1000000;
constexpr unsigned kStopAfterErrors = 200;
/// Elements of one value (the product of its dims' sizes, batch and sequence aside): 2^40 f32 is
/// 4 TiB, more than any GPU holds, and products of a few such counts still fit in int64.
constexpr uint64_t kMaxElements = uint64_t(1) << 40;

size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggest(const std::string &name, const std::vector<std::string> &candidates) {
  std::string best;
  size_t bestD = name.size() / 3 + 1;
  for (const std::string &c : candidates) {
    size_t d = editDistance(name, c);
    if (d < bestD || (d == bestD && best.empty() && d <= 1)) {
      bestD = d;
      best = c;
    }
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

struct BuiltinInfo {
  int arity;
  bool complexOk;
};

const std::unordered_map<std::string, BuiltinInfo> &builtins() {
  static const std::unordered_map<std::string, BuiltinInfo> b = {
      {"exp", {1, true}},     {"log", {1, false}},     {"log1p", {1, false}},
      {"sqrt", {1, false}},   {"abs", {1, false}},     {"min", {2, false}},
      {"max", {2, false}},    {"softplus", {1, false}}, {"silu", {1, false}},
      {"sigmoid", {1, false}}, {"tanh", {1, false}},   {"re", {1, true}},
      {"im", {1, true}},      {"conj", {1, true}},     {"complex", {2, false}},
      {"eye", {1, true}},     {"inv", {1, true}},      {"size", {1, false}},
      {"group", {3, true}},
  };
  return b;
}

/// Names reserved for blocks (a GEMM over batch x sequence, a causal depthwise convolution):
/// they parse as calls today and get a clear message until the blocks exist.
bool isReservedBlock(const std::string &n) { return n == "linear" || n == "causal_conv"; }

/// A value of an expression: one node, or several from a tuple or a multi-result function.
struct Value {
  std::vector<NodeRef> parts;
  bool tuple = false;
  bool ok() const { return !parts.empty() && parts[0]; }
  NodeRef single() const { return parts.empty() ? nullptr : parts[0]; }
};

struct Binding {
  enum Kind { Node, Dim, StateName, Init, IndexVar } kind = Node;
  NodeRef node;                 // Node, IndexVar
  int dim = -1;                 // Dim, IndexVar
  std::string name;             // StateName
  const ast::TensorDecl *decl = nullptr;
  std::string letName;          // for unused-let tracking
  Loc loc;
};

struct FileUnit {
  std::unique_ptr<ast::File> ast;
  std::string path;
};

class Analyzer {
public:
  Analyzer(const Options &o, SourceManager &sm, DiagEngine &d) : opts_(o), sm_(sm), diags_(d) {}

  Program run(const std::string &path, const std::optional<std::string> &text) {
    Program prog;
    int32_t mainId = -1;
    if (text) {
      mainId = sm_.add(path, *text);
    } else {
      mainId = readFile(path, Loc{});
      if (mainId < 0)
        return prog;
    }
    std::vector<std::string> stack;
    size_t mainUnit = loadUnit(mainId, canonical(path), stack);
    if (diags_.hasErrors())
      return prog;
    for (auto &u : units_)
      collectGlobals(*u.ast);
    for (auto &l : units_[mainUnit].ast->layers)
      prog.layers.push_back(analyzeLayer(*l));
    if (prog.layers.empty() && !diags_.hasErrors()) {
      Loc l;
      l.file = mainId;
      l.line = 1;
      l.col = 1;
      diags_.warning(l, "no layer in " + path + " (only functions and initializers)");
    }
    return prog;
  }

private:
  // ---------------------------------------------------------------- files and imports
  std::string canonical(const std::string &p) {
    if (opts_.readImport)
      return fs::path(p).lexically_normal().string();
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::path(p), ec);
    return ec ? p : c.string();
  }

  int32_t readFile(const std::string &path, const Loc &from) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      diags_.error(from, "cannot read '" + path + "': it is a directory");
      return -1;
    }
    // A FIFO would block the open until a writer comes, a device (/dev/zero) never ends.
    fs::file_status st = fs::status(path, ec);
    if (!ec && fs::exists(st) && !fs::is_regular_file(st)) {
      diags_.error(from, "cannot read '" + path + "': it is not a regular file");
      return -1;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      diags_.error(from, "cannot open '" + path + "'");
      return -1;
    }
    std::string text;
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    if (size < 0 || static_cast<size_t>(size) > kMaxFileBytes) {
      diags_.error(from, "'" + path + "' is larger than " + std::to_string(kMaxFileBytes >> 20) + " MB");
      return -1;
    }
    in.seekg(0);
    text.resize(static_cast<size_t>(size));
    in.read(text.data(), size);
    return addText(path, std::move(text), from);
  }

  /// Registers an imported file's text after the checks every source gets.
  int32_t addText(const std::string &path, std::string text, const Loc &from) {
    if (text.size() > kMaxFileBytes) {
      diags_.error(from, "'" + path + "' is larger than " + std::to_string(kMaxFileBytes >> 20) + " MB");
      return -1;
    }
    if (text.find('\0') != std::string::npos) {
      diags_.error(from, "'" + path + "' is not a text file (it contains NUL bytes)");
      return -1;
    }
    return sm_.add(path, std::move(text));
  }

  size_t loadUnit(int32_t fileId, const std::string &canon, std::vector<std::string> &stack) {
    loaded_[canon] = units_.size();
    units_.push_back({parseFile(fileId, sm_, diags_), sm_.path(fileId)});
    size_t idx = units_.size() - 1;
    if (diags_.hasErrors())
      return idx;
    stack.push_back(canon);
    // Copy the import list: loading may grow units_ and move the vector's storage.
    std::vector<ast::ImportDecl> imports = units_[idx].ast->imports;
    fs::path dir = fs::path(sm_.path(fileId)).parent_path();
    for (const ast::ImportDecl &im : imports) {
      std::vector<std::string> tried;
      std::string found;
      std::optional<std::string> foundText; // from opts_.readImport
      std::vector<fs::path> bases = {dir};
      for (const std::string &d : opts_.includeDirs)
        bases.push_back(d);
      for (const fs::path &b : bases) {
        fs::path cand = b / im.path;
        tried.push_back(cand.string());
        if (opts_.readImport) {
          foundText = opts_.readImport(cand.lexically_normal().string());
          if (foundText) {
            found = cand.lexically_normal().string();
            break;
          }
          continue;
        }
        std::error_code ec;
        if (fs::exists(cand, ec)) {
          found = cand.string();
          break;
        }
      }
      if (found.empty()) {
        std::string list;
        for (auto &t : tried)
          list += (list.empty() ? "" : ", ") + t;
        diags_.error(im.loc, "cannot find import \"" + im.path + "\" (looked for " + list + "; add a directory with -I)");
        continue;
      }
      std::string c = canonical(found);
      if (std::find(stack.begin(), stack.end(), c) != stack.end()) {
        std::string cycle;
        bool on = false;
        for (auto &s : stack) {
          on = on || s == c;
          if (on)
            cycle += fs::path(s).filename().string() + " -> ";
        }
        diags_.error(im.loc, "import cycle: " + cycle + fs::path(c).filename().string());
        continue;
      }
      if (loaded_.count(c))
        continue;
      int32_t id = foundText ? addText(found, std::move(*foundText), im.loc) : readFile(found, im.loc);
      if (id < 0)
        continue;
      loadUnit(id, c, stack);
    }
    stack.pop_back();
    return idx;
  }

  void collectGlobals(const ast::File &f) {
    for (auto &fn : f.fns) {
      auto [it, fresh] = fns_.emplace(fn->name.name, fn.get());
      if (!fresh && it->second != fn.get()) {
        diags_.error(fn->name.loc, "redefinition of function '" + fn->name.name + "'");
        diags_.note(it->second->name.loc, "previous definition is here");
      }
      if (builtins().count(fn->name.name))
        diags_.error(fn->name.loc, "'" + fn->name.name + "' is a builtin and cannot be redefined");
      for (auto &a : fn->annotations)
        if (a.name != "discretization")
          diags_.error(a.loc, "unknown annotation '#" + a.name + "' (known: #discretization)");
    }
    for (auto &in : f.inits) {
      auto [it, fresh] = inits_.emplace(in->name.name, in.get());
      if (!fresh && it->second != in.get()) {
        diags_.error(in->name.loc, "redefinition of init '" + in->name.name + "'");
        diags_.note(it->second->name.loc, "previous definition is here");
      }
    }
  }

  // ---------------------------------------------------------------- node construction
  /// Elements of a value over `d` in the current layer, saturated just above kMaxElements
  /// (a dim without a size counts 1; its absence is reported where a size is needed).
  uint64_t elements(const Dims &d) const {
    uint64_t n = 1;
    for (int i : d) {
      if (!layer_ || i < 0 || static_cast<size_t>(i) >= layer_->dims.size() || !layer_->dims[i].size)
        continue;
      uint64_t s = static_cast<uint64_t>(std::max<int64_t>(*layer_->dims[i].size, 1));
      if (n > kMaxElements / s)
        return kMaxElements + 1;
      n *= s;
    }
    return n;
  }

  NodeRef node(Op op, const Loc &loc) {
    ++nodes_;
    auto n = std::make_shared<Node>();
    n->op = op;
    n->loc = loc;
    return n;
  }

  void inherit(Node &n) {
    for (auto &o : n.operands) {
      if (!o)
        continue;
      n.depth = std::max(n.depth, o->depth + 1);
      n.step |= o->step;
      n.ins.insert(o->ins.begin(), o->ins.end());
      n.states.insert(o->states.begin(), o->states.end());
    }
  }

  /// Union of dims by name, in the layer's order; a dim repeated in an operand (a matrix over
  /// [N, N]) keeps its largest multiplicity.
  Dims unite(const Dims &a, const Dims &b) {
    std::map<int, int> count;
    for (int d : a)
      count[d]++;
    std::map<int, int> cb;
    for (int d : b)
      cb[d]++;
    for (auto &[d, c] : cb)
      count[d] = std::max(count[d], c);
    Dims r;
    for (auto &[d, c] : count)
      for (int i = 0; i < c; ++i)
        r.push_back(d);
    return r;
  }

  std::string show(const Loc &loc) {
    std::string s = sm_.slice(loc);
    for (char &c : s)
      if (c == '\n' || c == '\r' || c == '\t')
        c = ' ';
    if (s.size() > 60)
      s = s.substr(0, 57) + "...";
    return s.empty() ? "this expression" : s;
  }

  std::string typeStr(const Node &n) {
    std::string s = n.boolean ? "bool" : n.complex ? "c64" : "f32";
    return s + layer_->dimsString(n.dims);
  }

  // ---------------------------------------------------------------- scopes
  using Scope = std::unordered_map<std::string, Binding>;

  const Binding *lookup(const std::string &n) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(n);
      if (f != it->end())
        return &f->second;
      if (it->count("\x01" "barrier"))
        break; // a function body sees only its params and its own lets
    }
    auto f = scopes_.front().find(n);
    if (f != scopes_.front().end() && f->second.kind == Binding::Dim)
      return &f->second;
    return nullptr;
  }

  std::vector<std::string> visibleNames() {
    std::vector<std::string> v;
    for (auto &s : scopes_)
      for (auto &[k, b] : s)
        if (k[0] != '\x01')
          v.push_back(k);
    for (auto &[k, b] : fns_)
      v.push_back(k);
    for (auto &[k, b] : builtins())
      v.push_back(k);
    return v;
  }

  void declare(const std::string &n, Binding b, const Loc &loc) {
    Scope &s = scopes_.back();
    auto it = s.find(n);
    if (it != s.end()) {
      diags_.error(loc, "redefinition of '" + n + "'");
      if (it->second.loc.valid())
        diags_.note(it->second.loc, "previous definition is here");
      return;
    }
    b.loc = loc;
    s.emplace(n, std::move(b));
  }

  // ---------------------------------------------------------------- expressions
  Value fail() { return Value{}; }

  NodeRef expectSingle(const Value &v, const ast::Expr &e) {
    if (!v.ok())
      return nullptr;
    if (v.parts.size() != 1) {
      diags_.error(e.loc, show(e.loc) + " has " + std::to_string(v.parts.size()) +
                              " values; destructure them with let (a, b) = ...");
      return nullptr;
    }
    return v.parts[0];
  }

  NodeRef typeSingle(const ast::Expr &e) { return expectSingle(typeExpr(e), e); }

  Value one(NodeRef n) {
    Value v;
    v.parts.push_back(std::move(n));
    return v;
  }

  Value typeExpr(const ast::Expr &e) {
    if (sizeReported_ || diags_.errorCount() >= kStopAfterErrors)
      return fail();
    if (nodes_ > kMaxNodes || ++visits_ > kMaxVisits) {
      // Report where the user can act: the outermost call being inlined, else this expression.
      const Loc &at = inlining_.empty() ? e.loc : outerCall_;
      diags_.error(at, show(at) + " expands to more than " + std::to_string(kMaxNodes) +
                           " operations once lets are substituted and functions inlined");
      sizeReported_ = true;
      return fail();
    }
    if (++depth_ > kMaxDepth) {
      --depth_;
      if (!depthReported_)
        diags_.error(e.loc, "expression nested too deeply");
      depthReported_ = true;
      return fail();
    }
    Value v = typeExprImpl(e);
    --depth_;
    for (const NodeRef &p : v.parts)
      if (p && elements(p->dims) > kMaxElements) {
        if (!elementsReported_)
          diags_.error(e.loc, show(e.loc) + " over " + layer_->dimsString(p->dims) +
                                  " has more than 2^40 elements");
        elementsReported_ = true;
        return fail();
      }
    for (const NodeRef &p : v.parts)
      if (p && p->depth > kMaxValueDepth) {
        // Inside an inlined function, report the call the user wrote, then where it got deep.
        const Loc &at = inlining_.empty() ? e.loc : outerCall_;
        if (!depthReported_) {
          diags_.error(at, show(at) + " is more than " + std::to_string(kMaxValueDepth) +
                               " operations deep once lets are substituted and functions inlined");
          if (!inlining_.empty())
            diags_.note(e.loc, "the limit is reached here, in '" + inlining_.back()->name.name + "'");
        }
        depthReported_ = true;
        return fail();
      }
    return v;
  }

  Value typeExprImpl(const ast::Expr &e) {
    switch (e.kind) {
    case ast::ExprKind::Number: {
      auto n = node(Op::Const, e.loc);
      n->value = e.number;
      return one(n);
    }
    case ast::ExprKind::Name:
      return typeName(e);
    case ast::ExprKind::Neg: {
      NodeRef a = e.operands.empty() ? nullptr : typeSingle(*e.operands[0]);
      if (!a)
        return fail();
      if (a->boolean) {
        diags_.error(e.loc, "cannot negate a comparison: " + show(e.loc));
        return fail();
      }
      auto n = node(Op::Neg, e.loc);
      n->operands = {a};
      n->dims = a->dims;
      n->complex = a->complex;
      inherit(*n);
      return one(n);
    }
    case ast::ExprKind::Binary:
      return typeBinary(e);
    case ast::ExprKind::If: {
      if (e.operands.size() != 3)
        return fail();
      NodeRef c = typeSingle(*e.operands[0]);
      NodeRef t = typeSingle(*e.operands[1]);
      NodeRef f = typeSingle(*e.operands[2]);
      if (!c || !t || !f)
        return fail();
      if (!c->boolean) {
        diags_.error(e.operands[0]->loc, "the condition of if must be a comparison, not " + typeStr(*c));
        return fail();
      }
      if (t->boolean || f->boolean) {
        diags_.error(e.loc, "the branches of if must be values, not comparisons");
        return fail();
      }
      auto n = node(Op::Select, e.loc);
      n->operands = {c, t, f};
      n->dims = unite(c->dims, unite(t->dims, f->dims));
      n->complex = t->complex || f->complex;
      inherit(*n);
      return one(n);
    }
    case ast::ExprKind::Call:
      return typeCall(e);
    case ast::ExprKind::Reduce:
      return typeReduce(e);
    case ast::ExprKind::Tuple: {
      Value v;
      v.tuple = true;
      for (auto &o : e.operands) {
        NodeRef p = typeSingle(*o);
        if (!p)
          return fail();
        v.parts.push_back(p);
      }
      return v;
    }
    }
    return fail();
  }

  Value typeName(const ast::Expr &e) {
    const Binding *b = lookup(e.name);
    if (!b) {
      if (e.name == "pi") {
        auto n = node(Op::Const, e.loc);
        n->value = M_PI;
        return one(n);
      }
      if (fns_.count(e.name) || builtins().count(e.name)) {
        diags_.error(e.loc, "'" + e.name + "' is a function; call it with arguments: " + e.name + "(...)");
        return fail();
      }
      if (inits_.count(e.name)) {
        diags_.error(e.loc, "'" + e.name + "' is an init; it can only be a param's initializer (param A: [...] = " + e.name + ")");
        return fail();
      }
      diags_.error(e.loc, "unknown name '" + e.name + "'" + suggest(e.name, visibleNames()));
      return fail();
    }
    switch (b->kind) {
    case Binding::Node:
    case Binding::IndexVar:
      if (!b->node)
        return fail(); // an earlier error already explains it
      markUsed(*b);
      if (updating_ && b->decl && b->decl->role == ast::Role::Out) {
        diags_.error(e.loc, "out " + e.name + " feeds the update of state " + updating_->name +
                                " in the same step; bind the value with let and use it in both if that is what the layer means");
        return fail();
      }
      return one(b->node);
    case Binding::Dim:
      diags_.error(e.loc, "'" + e.name + "' is a dim, not a value" +
                              std::string(inInit_ ? "; use size(i) for the size of the dim an index ranges over" : ""));
      return fail();
    case Binding::StateName: {
      State *s = findState(b->name);
      if (!s)
        return fail();
      if (updating_ == s) {
        auto n = node(Op::StatePrev, e.loc);
        n->name = s->name;
        n->dims = s->dims;
        n->complex = s->complex;
        n->step = true;
        n->states.insert(s->name);
        return one(n);
      }
      s->read = true;
      auto n = node(Op::StateCur, e.loc);
      n->name = s->name;
      n->dims = s->dims;
      n->complex = s->complex;
      n->step = true;
      n->states.insert(s->name);
      return one(n);
    }
    case Binding::Init:
      break;
    }
    return fail();
  }

  void markUsed(const Binding &b) {
    if (!layer_)
      return;
    if (b.decl) {
      for (Tensor &t : layer_->tensors)
        if (t.name == b.decl->name.name)
          t.used = true;
    }
    if (!b.letName.empty())
      usedLets_.insert(b.letName);
  }

  Value typeBinary(const ast::Expr &e) {
    if (e.operands.size() != 2)
      return fail();
    NodeRef a = typeSingle(*e.operands[0]);
    NodeRef b = typeSingle(*e.operands[1]);
    if (!a || !b)
      return fail();
    using B = ast::BinOp;
    if (e.op == B::MatMul)
      return typeMatMul(e, a, b);
    bool cmp = e.op == B::Lt || e.op == B::Le || e.op == B::Gt || e.op == B::Ge || e.op == B::Eq || e.op == B::Ne;
    if (a->boolean || b->boolean) {
      diags_.error(e.loc, std::string("a comparison cannot be an operand of '") + ast::binOpSpelling(e.op) +
                              "' (in " + show(e.loc) + ")");
      return fail();
    }
    if (cmp && (a->complex || b->complex)) {
      diags_.error(e.loc, "complex values cannot be compared: " + show(e.loc));
      return fail();
    }
    auto n = node(cmp ? Op::Cmp
                  : e.op == B::Add ? Op::Add
                  : e.op == B::Sub ? Op::Sub
                  : e.op == B::Mul ? Op::Mul
                                   : Op::Div,
                  e.loc);
    n->cmp = e.op;
    n->operands = {a, b};
    n->dims = unite(a->dims, b->dims);
    n->complex = !cmp && (a->complex || b->complex);
    n->boolean = cmp;
    inherit(*n);
    return one(n);
  }

  Value typeMatMul(const ast::Expr &e, NodeRef a, NodeRef b) {
    const Dims &ad = a->dims;
    if (ad.size() < 2 || ad[ad.size() - 1] != ad[ad.size() - 2]) {
      diags_.error(e.operands[0]->loc, "the left side of @ must be a square matrix over one dim (like [N, N]); " +
                                           show(e.operands[0]->loc) + " has dims " + layer_->dimsString(ad));
      return fail();
    }
    int k = ad.back();
    if (std::find(b->dims.begin(), b->dims.end(), k) == b->dims.end()) {
      diags_.error(e.loc, "A @ h contracts dim " + layer_->dims[k].name + " but the right side " +
                              show(e.operands[1]->loc) + " has dims " + layer_->dimsString(b->dims));
      return fail();
    }
    if (a->step) {
      std::string why = a->ins.empty() ? "a state" : "in '" + *a->ins.begin() + "'";
      diags_.error(e.operands[0]->loc, "the matrix of @ must be time-invariant, but " + show(e.operands[0]->loc) +
                                           " depends on " + why);
      return fail();
    }
    auto n = node(Op::MatMul, e.loc);
    n->operands = {a, b};
    Dims lead(ad.begin(), ad.end() - 1);
    n->dims = unite(lead, b->dims);
    n->complex = a->complex || b->complex;
    inherit(*n);
    return one(n);
  }

  Value typeReduce(const ast::Expr &e) {
    if (e.name != "sum") {
      diags_.error(e.loc, "unknown reduction '" + e.name + "' (known: sum)");
      return fail();
    }
    int d = dimIndex(e.dim);
    if (d < 0) {
      diags_.error(e.dimLoc, "sum[" + e.dim + "] names no dim of layer " + layer_->name +
                                 " (dims: " + allDims() + ")");
      return fail();
    }
    NodeRef a = e.operands.empty() ? nullptr : typeSingle(*e.operands[0]);
    if (!a)
      return fail();
    auto it = std::find(a->dims.begin(), a->dims.end(), d);
    if (it == a->dims.end()) {
      diags_.error(e.dimLoc, "sum[" + e.dim + "] over a value without dim " + e.dim + ": " +
                                 show(e.operands[0]->loc) + " has dims " + layer_->dimsString(a->dims));
      return fail();
    }
    if (a->boolean) {
      diags_.error(e.loc, "cannot sum comparisons");
      return fail();
    }
    auto n = node(Op::Reduce, e.loc);
    n->name = "sum";
    n->reduceDim = d;
    n->operands = {a};
    n->dims = a->dims;
    n->dims.erase(std::find(n->dims.begin(), n->dims.end(), d));
    n->complex = a->complex;
    inherit(*n);
    return one(n);
  }

  Value typeCall(const ast::Expr &e) {
    if (isReservedBlock(e.name) && !fns_.count(e.name)) {
      diags_.error(e.loc, "'" + e.name + "(...)' is reserved for blocks, which this version of ssmc does not compile yet");
      return fail();
    }
    for (auto &a : e.args)
      if (!a.key.empty()) {
        diags_.error(a.keyLoc, "'" + e.name + "' takes no named argument '" + a.key + "'");
        return fail();
      }
    auto bi = builtins().find(e.name);
    if (bi != builtins().end())
      return typeBuiltin(e, bi->second);
    auto fi = fns_.find(e.name);
    if (fi != fns_.end())
      return inlineCall(e, *fi->second);
    std::vector<std::string> names;
    for (auto &[k, v] : fns_)
      names.push_back(k);
    for (auto &[k, v] : builtins())
      names.push_back(k);
    diags_.error(e.loc, "unknown function '" + e.name + "'" + suggest(e.name, names));
    return fail();
  }

  Value typeBuiltin(const ast::Expr &e, const BuiltinInfo &info) {
    if (static_cast<int>(e.args.size()) != info.arity) {
      diags_.error(e.loc, e.name + " takes " + std::to_string(info.arity) + " argument" +
                              (info.arity == 1 ? "" : "s") + ", got " + std::to_string(e.args.size()));
      return fail();
    }
    if (e.name == "size") {
      if (!inInit_) {
        diags_.error(e.loc, "size(i) is only available in an init, where i is an index");
        return fail();
      }
      const ast::Expr &a = *e.args[0].value;
      const Binding *b = a.kind == ast::ExprKind::Name ? lookup(a.name) : nullptr;
      if (!b || b->kind != Binding::IndexVar) {
        diags_.error(a.loc, "size(...) takes an index of the init, not " + show(a.loc));
        return fail();
      }
      auto n = node(Op::DimSize, e.loc);
      n->name = layer_->dims[b->dim].name;
      n->value = layer_->dims[b->dim].size ? static_cast<double>(*layer_->dims[b->dim].size) : 0;
      if (!layer_->dims[b->dim].size)
        diags_.error(e.loc, "size(" + a.name + ") needs the size of dim " + n->name +
                                "; give it in the layer (dims " + n->name + " = ...) or with --dim " + n->name + "=...");
      return one(n);
    }
    if (e.name == "group")
      return typeGroup(e);
    std::vector<NodeRef> args;
    for (auto &a : e.args) {
      NodeRef n = typeSingle(*a.value);
      if (!n)
        return fail();
      if (n->boolean) {
        diags_.error(a.value->loc, e.name + " takes a value, not a comparison");
        return fail();
      }
      if (n->complex && !info.complexOk) {
        diags_.error(a.value->loc, e.name + " of a complex value is not supported: " + show(a.value->loc));
        return fail();
      }
      args.push_back(n);
    }
    auto n = node(Op::Builtin, e.loc);
    n->name = e.name;
    n->operands = args;
    n->dims = args[0]->dims;
    for (size_t i = 1; i < args.size(); ++i)
      n->dims = unite(n->dims, args[i]->dims);
    n->complex = args[0]->complex;
    if (e.name == "re" || e.name == "im")
      n->complex = false;
    if (e.name == "complex")
      n->complex = true;
    if (e.name == "eye" || e.name == "inv") {
      const Dims &d = args[0]->dims;
      if (d.size() < 2 || d[d.size() - 1] != d[d.size() - 2]) {
        diags_.error(e.args[0].value->loc, e.name + " needs a square matrix over one dim (like [N, N]); " +
                                               show(e.args[0].value->loc) + " has dims " + layer_->dimsString(d));
        return fail();
      }
      if (e.name == "inv" && args[0]->step) {
        diags_.error(e.loc, "inv needs a time-invariant matrix; " + show(e.args[0].value->loc) + " varies per step");
        return fail();
      }
      if (e.name == "eye") {
        n->dims = {d.back(), d.back()};
        n->complex = false;
      }
    }
    inherit(*n);
    if (e.name == "eye") {
      n->step = false;
      n->ins.clear();
      n->states.clear();
    }
    return one(n);
  }

  /// group(X, G, H): X with its dim G replaced by H, where each of the H / G consecutive
  /// indices of H reads the same index of G (Mamba-2's B and C groups shared by heads).
  Value typeGroup(const ast::Expr &e) {
    NodeRef x = typeSingle(*e.args[0].value);
    if (!x)
      return fail();
    int dims[2];
    for (int k = 0; k < 2; ++k) {
      const ast::Expr &a = *e.args[k + 1].value;
      dims[k] = a.kind == ast::ExprKind::Name ? dimIndex(a.name) : -1;
      if (dims[k] < 0) {
        diags_.error(a.loc, "group(X, G, H) takes dims as its 2nd and 3rd arguments; " + show(a.loc) +
                                " is not a dim of layer " + layer_->name + " (dims: " + allDims() + ")");
        return fail();
      }
    }
    int g = dims[0], h = dims[1];
    if (std::find(x->dims.begin(), x->dims.end(), g) == x->dims.end()) {
      diags_.error(e.args[0].value->loc, "group(..., " + layer_->dims[g].name + ", ...) needs a value with dim " +
                                             layer_->dims[g].name + "; " + show(e.args[0].value->loc) + " has dims " +
                                             layer_->dimsString(x->dims));
      return fail();
    }
    if (std::find(x->dims.begin(), x->dims.end(), h) != x->dims.end()) {
      diags_.error(e.loc, show(e.args[0].value->loc) + " already has dim " + layer_->dims[h].name);
      return fail();
    }
    auto &gs = layer_->dims[g].size, &hs = layer_->dims[h].size;
    if (gs && hs && *hs % *gs != 0) {
      diags_.error(e.loc, "group(" + show(e.args[0].value->loc) + ", " + layer_->dims[g].name + ", " +
                              layer_->dims[h].name + ") needs " + layer_->dims[h].name + " to be a multiple of " +
                              layer_->dims[g].name + ", but " + layer_->dims[h].name + " is " + std::to_string(*hs) +
                              " and " + layer_->dims[g].name + " is " + std::to_string(*gs));
      return fail();
    }
    auto n = node(Op::Builtin, e.loc);
    n->name = "group";
    n->operands = {x};
    n->reduceDim = g;
    n->value = h;
    Dims d = x->dims;
    d.erase(std::find(d.begin(), d.end(), g));
    n->dims = unite(d, {h});
    n->complex = x->complex;
    inherit(*n);
    return one(n);
  }

  Value inlineCall(const ast::Expr &e, const ast::FnDecl &fn) {
    if (e.args.size() != fn.params.size()) {
      diags_.error(e.loc, "function '" + fn.name.name + "' takes " + std::to_string(fn.params.size()) +
                              " argument" + (fn.params.size() == 1 ? "" : "s") + ", got " + std::to_string(e.args.size()));
      diags_.note(fn.name.loc, "'" + fn.name.name + "' is defined here");
      return fail();
    }
    if (std::find(inlining_.begin(), inlining_.end(), &fn) != inlining_.end()) {
      diags_.error(e.loc, "recursive call of '" + fn.name.name + "' (functions are inlined and cannot recurse)");
      return fail();
    }
    if (inlining_.size() >= kMaxInlineDepth) {
      diags_.error(e.loc, "functions nested more than " + std::to_string(kMaxInlineDepth) + " calls deep");
      return fail();
    }
    auto site = std::make_shared<CallSite>();
    site->fn = fn.name.name;
    site->loc = e.loc;
    for (auto &a : fn.annotations)
      site->discretization |= a.name == "discretization";
    for (auto &a : e.args) {
      NodeRef n = typeSingle(*a.value);
      if (!n)
        return fail();
      site->args.push_back(n);
    }
    if (inlining_.empty())
      outerCall_ = e.loc;
    inlining_.push_back(&fn);
    Scope s;
    s.emplace("\x01" "barrier", Binding{});
    scopes_.push_back(std::move(s));
    for (size_t i = 0; i < fn.params.size(); ++i) {
      Binding b;
      b.kind = Binding::Node;
      b.node = site->args[i];
      declare(fn.params[i].name, b, fn.params[i].loc);
    }
    bool ok = true;
    for (auto &l : fn.lets)
      ok = typeLet(*l, nullptr) && ok;
    Value ret = ok && fn.ret ? typeExpr(*fn.ret) : fail();
    scopes_.pop_back();
    inlining_.pop_back();
    if (!ret.ok())
      return fail();
    site->results = ret.parts;
    Value v;
    v.tuple = ret.parts.size() > 1;
    for (size_t i = 0; i < ret.parts.size(); ++i) {
      auto n = node(Op::CallResult, e.loc);
      n->call = site;
      n->resultIndex = static_cast<int>(i);
      n->operands = {ret.parts[i]};
      n->dims = ret.parts[i]->dims;
      n->complex = ret.parts[i]->complex;
      n->boolean = ret.parts[i]->boolean;
      inherit(*n);
      v.parts.push_back(n);
    }
    return v;
  }

  // ---------------------------------------------------------------- statements
  bool typeLet(const ast::LetStmt &l, Let *out) {
    Value v = l.value ? typeExpr(*l.value) : fail();
    if (!v.ok()) {
      poison(l);
      return false;
    }
    if (!l.tuple && v.parts.size() != 1) {
      diags_.error(l.value->loc, show(l.value->loc) + " has " + std::to_string(v.parts.size()) +
                                     " values; bind them with let (" + joinNames(v.parts.size()) + ") = ...");
      poison(l);
      return false;
    }
    if (l.tuple && v.parts.size() != l.names.size()) {
      diags_.error(l.loc, "let binds " + std::to_string(l.names.size()) + " names but " + show(l.value->loc) +
                              " has " + std::to_string(v.parts.size()) + " value" + (v.parts.size() == 1 ? "" : "s"));
      poison(l);
      return false;
    }
    for (size_t i = 0; i < l.names.size(); ++i) {
      Binding b;
      b.kind = Binding::Node;
      b.node = v.parts[i];
      if (out)
        b.letName = l.names[i].name;
      declare(l.names[i].name, b, l.names[i].loc);
      if (out) {
        out->names.push_back(l.names[i].name);
        out->values.push_back(v.parts[i]);
        letLocs_[l.names[i].name] = l.names[i].loc;
      }
    }
    return true;
  }

  /// Binds the names of a let that failed to an error value, so that later uses stay quiet
  /// instead of repeating the first error as "unknown name".
  void poison(const ast::LetStmt &l) {
    for (auto &n : l.names) {
      Binding b;
      b.kind = Binding::Node;
      b.letName = "\x01";
      declare(n.name, b, n.loc);
    }
  }

  static std::string joinNames(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s += (i ? ", " : "") + std::string(1, static_cast<char>('a' + (i % 26)));
    return s;
  }

  int dimIndex(const std::string &n) {
    for (size_t i = 0; i < layer_->dims.size(); ++i)
      if (layer_->dims[i].name == n)
        return static_cast<int>(i);
    return -1;
  }

  std::string allDims() {
    std::string s;
    for (auto &d : layer_->dims)
      s += (s.empty() ? "" : ", ") + d.name;
    return s;
  }

  State *findState(const std::string &n) {
    for (State &s : layer_->states)
      if (s.name == n)
        return &s;
    return nullptr;
  }

  bool resolveType(const ast::TensorDecl &t, Dims &dims, bool allowRepeat) {
    bool ok = true;
    for (auto &d : t.type.dims) {
      int i = dimIndex(d.name);
      if (i < 0) {
        diags_.error(d.loc, "unknown dim '" + d.name + "' in the type of " + t.name.name + " (layer " +
                                layer_->name + " has dims " + allDims() + ")" + suggest(d.name, dimNames()));
        ok = false;
        continue;
      }
      if (!allowRepeat && std::find(dims.begin(), dims.end(), i) != dims.end()) {
        diags_.error(d.loc, "dim " + d.name + " appears twice in the type of " + t.name.name +
                                "; only a param may be a square matrix like [N, N]");
        ok = false;
        continue;
      }
      dims.push_back(i);
    }
    return ok;
  }

  std::vector<std::string> dimNames() {
    std::vector<std::string> v;
    for (auto &d : layer_->dims)
      v.push_back(d.name);
    return v;
  }

  /// Param default values: an init applied over the param's dims, or an expression of
  /// constants and earlier params.
  NodeRef typeParamInit(const ast::TensorDecl &t, const Tensor &tensor, std::string &initName) {
    const ast::Expr &e = *t.value;
    if (e.kind == ast::ExprKind::Name && inits_.count(e.name)) {
      const ast::InitDecl &init = *inits_.at(e.name);
      initName = e.name;
      if (init.indices.size() != tensor.dims.size()) {
        diags_.error(e.loc, "init '" + e.name + "' takes " + std::to_string(init.indices.size()) +
                                " indices but param " + t.name.name + " has " + std::to_string(tensor.dims.size()) +
                                " dims " + layer_->dimsString(tensor.dims));
        diags_.note(init.name.loc, "'" + e.name + "' is defined here");
        return nullptr;
      }
      Scope s;
      s.emplace("\x01" "barrier", Binding{});
      scopes_.push_back(std::move(s));
      for (size_t i = 0; i < init.indices.size(); ++i) {
        Binding b;
        b.kind = Binding::IndexVar;
        b.dim = tensor.dims[i];
        b.node = node(Op::IndexVar, init.indices[i].loc);
        b.node->name = init.indices[i].name;
        b.node->dims = {tensor.dims[i]};
        declare(init.indices[i].name, b, init.indices[i].loc);
      }
      inInit_ = true;
      NodeRef body = init.body ? typeSingle(*init.body) : nullptr;
      inInit_ = false;
      scopes_.pop_back();
      return body;
    }
    NodeRef v = typeSingle(e);
    if (v && v->step) {
      std::string why = !v->ins.empty() ? "in '" + *v->ins.begin() + "'" : "state '" + *v->states.begin() + "'";
      diags_.error(e.loc, "param " + t.name.name + " may not depend on " + why +
                              ": params are fixed across steps and batch");
      return nullptr;
    }
    return v;
  }

  void checkFits(const ast::TensorDecl &t, const Dims &declared, const NodeRef &v, const std::string &what) {
    for (int d : v->dims)
      if (std::count(v->dims.begin(), v->dims.end(), d) > std::count(declared.begin(), declared.end(), d)) {
        std::string hint = "";
        if (std::find(declared.begin(), declared.end(), d) == declared.end())
          hint = "; reduce it with sum[" + layer_->dims[d].name + "](...)";
        diags_.error(t.value->loc, what + " of " + t.name.name + " has dim " + layer_->dims[d].name + " which " +
                                       t.name.name + ": " + layer_->dimsString(declared) + " lacks (its value " +
                                       show(t.value->loc) + " has dims " + layer_->dimsString(v->dims) + ")" + hint);
        return;
      }
  }

  // ------------------------------------------------------------ the affine check
  struct Affine {
    NodeRef coeff; // null: no dependence on the state
    NodeRef rest;  // null: zero
    bool dense = false;
    bool ok = true;
  };

  NodeRef mk(Op op, const Loc &loc, std::vector<NodeRef> ops) {
    auto n = node(op, loc);
    n->operands = std::move(ops);
    n->dims = n->operands[0]->dims;
    n->complex = n->operands[0]->complex;
    for (size_t i = 1; i < n->operands.size(); ++i) {
      n->dims = unite(n->dims, n->operands[i]->dims);
      n->complex |= n->operands[i]->complex;
    }
    inherit(*n);
    return n;
  }
  NodeRef add(NodeRef a, NodeRef b, const Loc &l) {
    if (!a)
      return b;
    if (!b)
      return a;
    return mk(Op::Add, l, {a, b});
  }
  NodeRef neg(NodeRef a, const Loc &l) { return a ? mk(Op::Neg, l, {a}) : nullptr; }
  NodeRef one(const Loc &l) {
    auto n = node(Op::Const, l);
    n->value = 1;
    return n;
  }

  /// Splits `n` into coeff * h_prev + rest; reports the first sub-expression that is not affine.
  Affine affine(const NodeRef &n, const State &s) {
    Affine r;
    if (!n)
      return r;
    if (!n->states.count(s.name) || !dependsOnPrev(n, s.name)) {
      r.rest = n;
      return r;
    }
    auto bad = [&](const std::string &why) {
      if (!affineReported_)
        diags_.error(n->loc, "the update of " + s.name + " is not affine in " + s.name + ": " + why);
      affineReported_ = true;
      r.ok = false;
      return r;
    };
    switch (n->op) {
    case Op::StatePrev:
      r.coeff = one(n->loc);
      return r;
    case Op::CallResult:
      return affine(n->operands[0], s);
    case Op::Neg: {
      Affine a = affine(n->operands[0], s);
      if (!a.ok)
        return a;
      a.coeff = a.dense ? a.coeff : neg(a.coeff, n->loc);
      if (a.dense && a.coeff)
        return bad("a negated matrix product " + show(n->loc));
      a.rest = neg(a.rest, n->loc);
      return a;
    }
    case Op::Add:
    case Op::Sub: {
      Affine a = affine(n->operands[0], s), b = affine(n->operands[1], s);
      if (!a.ok || !b.ok)
        return Affine{nullptr, nullptr, false, false};
      if (n->op == Op::Sub) {
        if (b.dense && b.coeff)
          return bad("a subtracted matrix product " + show(n->loc));
        b.coeff = neg(b.coeff, n->loc);
        b.rest = neg(b.rest, n->loc);
      }
      if (a.coeff && b.coeff && (a.dense || b.dense))
        return bad(show(n->loc) + " mixes a matrix product with another use of " + s.name);
      r.dense = a.dense || b.dense;
      r.coeff = add(a.coeff, b.coeff, n->loc);
      r.rest = add(a.rest, b.rest, n->loc);
      return r;
    }
    case Op::Mul:
    case Op::Div: {
      bool l = dependsOnPrev(n->operands[0], s.name), rr = dependsOnPrev(n->operands[1], s.name);
      if (l && rr)
        return bad(show(n->loc) + " multiplies " + s.name + " by itself");
      if (rr && n->op == Op::Div)
        return bad(s.name + " appears in the divisor of " + show(n->loc));
      const NodeRef &dep = l ? n->operands[0] : n->operands[1];
      const NodeRef &other = l ? n->operands[1] : n->operands[0];
      Affine a = affine(dep, s);
      if (!a.ok)
        return a;
      if (a.dense)
        return bad("a scaled matrix product " + show(n->loc) + "; put the scale into the matrix");
      Op op = n->op;
      if (a.coeff && op == Op::Mul && a.coeff->op == Op::Const && a.coeff->value == 1)
        r.coeff = other; // h * x: the coefficient is x itself
      else
        r.coeff = a.coeff ? mk(op, n->loc, {a.coeff, other}) : nullptr;
      r.rest = a.rest ? mk(op, n->loc, {a.rest, other}) : nullptr;
      return r;
    }
    case Op::MatMul: {
      if (dependsOnPrev(n->operands[0], s.name))
        return bad(s.name + " appears in the matrix of " + show(n->loc));
      if (n->operands[1]->op != Op::StatePrev)
        return bad("the right side of @ must be " + s.name + " itself, not " + show(n->operands[1]->loc));
      r.coeff = n->operands[0];
      r.dense = true;
      return r;
    }
    case Op::Reduce:
      return bad(show(n->loc) + " mixes elements of " + s.name + " across dim " + layer_->dims[n->reduceDim].name +
                 " (only a * " + s.name + " + b or A @ " + s.name + " + b are supported)");
    case Op::Select:
      return bad(show(n->loc) + " chooses between values by a condition");
    case Op::Builtin:
      return bad(show(n->loc));
    default:
      return bad(show(n->loc));
    }
  }

  bool dependsOnPrev(const NodeRef &n, const std::string &state) {
    if (!n || !n->states.count(state))
      return false;
    auto it = prevMemo_.find(n.get());
    if (it != prevMemo_.end())
      return it->second;
    bool r = n->op == Op::StatePrev && n->name == state;
    for (auto &o : n->operands)
      r = r || dependsOnPrev(o, state);
    prevMemo_[n.get()] = r;
    return r;
  }

  // ------------------------------------------------------------ layers
  Layer analyzeLayer(const ast::LayerDecl &decl) {
    Layer L;
    L.name = decl.name.name;
    L.loc = decl.loc;
    layer_ = &L;
    scopes_.clear();
    scopes_.emplace_back();
    usedLets_.clear();
    letLocs_.clear();
    // Reserve so that pointers into states stay valid while items are added.
    L.states.reserve(decl.items.size());
    for (auto &d : decl.dims) {
      if (dimIndex(d.name.name) >= 0) {
        diags_.error(d.name.loc, "dim " + d.name.name + " is declared twice in layer " + L.name);
        continue;
      }
      DimInfo info{d.name.name, d.size, d.name.loc};
      auto ov = opts_.dimOverrides.find(d.name.name);
      if (ov != opts_.dimOverrides.end()) {
        // The driver checks --dim; a host calling compileScript may pass anything.
        if (ov->second < 1 || ov->second > (int64_t(1) << 31))
          diags_.error(d.name.loc, "size of dim " + d.name.name + " set to " + std::to_string(ov->second) +
                                       " from outside the script; it must be between 1 and 2^31");
        else
          info.size = ov->second;
      }
      L.dims.push_back(info);
      Binding b;
      b.kind = Binding::Dim;
      b.dim = static_cast<int>(L.dims.size() - 1);
      declare(d.name.name, b, d.name.loc);
    }
    std::vector<const ast::TensorDecl *> decls;
    for (auto &item : decl.items) {
      if (item.let) {
        Let let;
        let.loc = item.let->loc;
        if (typeLet(*item.let, &let)) {
          L.lets.push_back(std::move(let));
          L.items.push_back({ItemKind::Let, L.lets.size() - 1});
        }
        continue;
      }
      const ast::TensorDecl &t = *item.tensor;
      decls.push_back(&t);
      if (t.role == ast::Role::State) {
        analyzeState(t, L);
        continue;
      }
      Tensor tensor;
      tensor.name = t.name.name;
      tensor.role = t.role;
      tensor.loc = t.name.loc;
      tensor.dtype = t.role == ast::Role::Param ? DType::F32 : opts_.defaultDType;
      if (auto dt = declaredDType(t)) {
        tensor.dtype = *dt;
        tensor.dtypeGiven = true;
      }
      bool typeOk = resolveType(t, tensor.dims, t.role == ast::Role::Param);
      tensor.used = !typeOk; // no "never used" warning on top of a type error
      if (t.role == ast::Role::In) {
        if (t.value)
          diags_.error(t.value->loc, "in " + t.name.name + " cannot have a value: ins come from the caller at every step");
        auto n = node(Op::In, t.name.loc);
        n->name = t.name.name;
        n->dims = tensor.dims;
        n->complex = tensor.dtype == DType::C64;
        n->step = true;
        n->ins.insert(t.name.name);
        Binding b;
        if (typeOk)
          b.node = n; // otherwise uses stay quiet: the type error already explains them
        b.decl = &t;
        declare(t.name.name, b, t.name.loc);
      } else if (t.role == ast::Role::Param) {
        if (t.value && typeOk) {
          NodeRef v = typeParamInit(t, tensor, tensor.init);
          if (v) {
            checkFits(t, tensor.dims, v, "the initializer");
            if (v->complex && tensor.dtype != DType::C64)
              diags_.error(t.value->loc, "param " + t.name.name + " is " + dtypeName(tensor.dtype) +
                                             " but its initializer is complex; declare it c64");
            if (v->boolean)
              diags_.error(t.value->loc, "the initializer of " + t.name.name + " is a comparison, not a value");
            tensor.value = v;
          }
        }
        auto n = node(Op::Param, t.name.loc);
        n->name = t.name.name;
        n->dims = tensor.dims;
        n->complex = tensor.dtype == DType::C64;
        Binding b;
        b.node = n;
        b.decl = &t;
        declare(t.name.name, b, t.name.loc);
      } else { // out
        if (!t.value) {
          diags_.error(t.loc, "out " + t.name.name + " needs a value: out " + t.name.name + ": [...] = ...");
        } else if (typeOk) {
          NodeRef v = typeSingle(*t.value);
          if (v) {
            checkFits(t, tensor.dims, v, "the value");
            if (v->complex && tensor.dtype != DType::C64)
              diags_.error(t.value->loc, "out " + t.name.name + " is " + dtypeName(tensor.dtype) +
                                             " but its value is complex; take re(...) or declare it c64");
            if (v->boolean)
              diags_.error(t.value->loc, "the value of out " + t.name.name + " is a comparison");
            tensor.value = v;
          }
        }
        Binding b;
        b.node = tensor.value;
        b.decl = &t;
        if (b.node)
          declare(t.name.name, b, t.name.loc);
        tensor.used = true;
      }
      L.tensors.push_back(std::move(tensor));
      L.items.push_back({ItemKind::Tensor, L.tensors.size() - 1});
    }
    // Ins, params, outs: the ABI orders tensors by role, keeping declaration order within one.
    finish(L, decls);
    layer_ = nullptr;
    return L;
  }

  /// The dtype written in a declaration, if any; an unknown name is reported here.
  std::optional<DType> declaredDType(const ast::TensorDecl &t) {
    if (!t.type.dtype)
      return std::nullopt;
    auto dt = parseDType(t.type.dtype->name);
    if (!dt)
      diags_.error(t.type.dtype->loc, "unknown dtype '" + t.type.dtype->name + "' (known: f32, f16, bf16, c64)");
    return dt;
  }

  void analyzeState(const ast::TensorDecl &t, Layer &L) {
    State s;
    s.name = t.name.name;
    s.loc = t.name.loc;
    resolveType(t, s.dims, false);
    if (auto dt = declaredDType(t)) {
      if (*dt == DType::F16 || *dt == DType::BF16)
        diags_.error(t.type.dtype->loc, "state " + s.name + " cannot be " + dtypeName(*dt) +
                                            ": states are carried in f32 (or c64)");
      else
        s.complex = *dt == DType::C64;
    }
    L.states.push_back(s);
    State *sp = &L.states.back();
    Binding b;
    b.kind = Binding::StateName;
    b.name = s.name;
    b.decl = &t;
    declare(s.name, b, t.name.loc);
    L.items.push_back({ItemKind::State, L.states.size() - 1});
    if (!t.value) {
      diags_.error(t.loc, "state " + s.name + " needs an update: state " + s.name + ": [...] = a * " + s.name + " + b");
      return;
    }
    updating_ = sp;
    affineReported_ = false;
    NodeRef u = typeSingle(*t.value);
    updating_ = nullptr;
    if (!u)
      return;
    sp->update = u;
    if (u->boolean) {
      diags_.error(t.value->loc, "the update of " + s.name + " is a comparison");
      return;
    }
    if (u->complex && !sp->complex) {
      diags_.error(t.value->loc, "state " + s.name + " is f32 but its update is complex; declare it c64");
      return;
    }
    checkFits(t, sp->dims, u, "the update");
    for (auto &other : u->states)
      if (other != s.name)
        diags_.error(t.value->loc, "the update of " + s.name + " reads state " + other +
                                       "; each state's update may read only itself");
    Affine a = affine(u, *sp);
    if (!a.ok)
      return;
    if (!a.coeff) {
      diags_.warning(t.value->loc, "the update of " + s.name + " does not read " + s.name +
                                       "; it is a plain value, not a recurrence");
      a.coeff = node(Op::Const, t.value->loc);
    }
    sp->decay = a.coeff;
    sp->dense = a.dense;
    sp->input = a.rest ? a.rest : node(Op::Const, t.value->loc);
  }

  void finish(Layer &L, const std::vector<const ast::TensorDecl *> &decls) {
    for (const Tensor &t : L.tensors) {
      if (t.role == ast::Role::In && !t.used)
        diags_.warning(t.loc, "in " + t.name + " is never used");
      if (t.role == ast::Role::Param && !t.used)
        diags_.warning(t.loc, "param " + t.name + " is never used");
    }
    for (const State &s : L.states)
      if (!s.read)
        diags_.warning(s.loc, "state " + s.name + " is never read after its update; no out depends on it");
    for (auto &[name, loc] : letLocs_)
      if (!usedLets_.count(name) && name[0] != '_')
        diags_.warning(loc, "let " + name + " is never used");
    bool hasOut = false;
    for (const Tensor &t : L.tensors)
      hasOut |= t.role == ast::Role::Out;
    if (!hasOut)
      diags_.warning(L.loc, "layer " + L.name + " has no out");

    std::stable_sort(L.tensors.begin(), L.tensors.end(), [](const Tensor &a, const Tensor &b) {
      auto rank = [](ast::Role r) { return r == ast::Role::In ? 0 : r == ast::Role::Param ? 1 : 2; };
      return rank(a.role) < rank(b.role);
    });
    // Items refer to tensors by index; rebuild them by name after the sort.
    std::vector<Item> items;
    size_t ti = 0;
    std::vector<std::string> order;
    for (auto *d : decls)
      if (d->role != ast::Role::State)
        order.push_back(d->name.name);
    for (Item it : L.items) {
      if (it.kind == ItemKind::Tensor) {
        const std::string &n = order[ti++];
        for (size_t k = 0; k < L.tensors.size(); ++k)
          if (L.tensors[k].name == n)
            it.index = k;
      }
      items.push_back(it);
    }
    L.items = std::move(items);
    if (L.tensors.size() > 16)
      diags_.error(L.loc, "layer " + L.name + " has " + std::to_string(L.tensors.size()) +
                              " tensors; at most 16 are supported");

    // Sizes that later stages multiply together (64-bit) must not overflow.
    for (const Tensor &t : L.tensors)
      if (elements(t.dims) > kMaxElements)
        diags_.error(t.loc, t.name + " over " + L.dimsString(t.dims) + " has more than 2^40 elements");
    for (const State &st : L.states)
      if (elements(st.dims) > kMaxElements)
        diags_.error(st.loc, "state " + st.name + " over " + L.dimsString(st.dims) + " has more than 2^40 elements");

    // Facts for later stages. LTI: the decay is time-invariant and the input term is a
    // time-invariant kernel times step values that do not carry the state's inner dim (so the
    // layer is a convolution of those values); selective otherwise.
    bool anyIn = false, scalar = !L.states.empty();
    for (const State &s : L.states) {
      if (!s.decay || !s.input)
        continue;
      anyIn |= s.decay->step || !ltiInput(s.input, s.dims.empty() ? -1 : s.dims.back());
      Dims heads(s.dims.begin(), s.dims.size() >= 2 ? s.dims.end() - 2 : s.dims.begin());
      bool sc = !s.dense; // as ssm-classify decides it (dialect/include/ssm/Passes.td)
      for (int d : s.decay->dims)
        sc = sc && std::find(heads.begin(), heads.end(), d) != heads.end();
      scalar = scalar && sc;
    }
    L.facts.selective = anyIn;
    L.facts.lti = !anyIn;
    L.facts.scalarDecay = scalar;
  }

  bool ltiInput(const NodeRef &n, int inner) {
    if (!n || !n->step)
      return true;
    if (n->op == Op::CallResult)
      return ltiInput(n->operands[0], inner);
    if (n->op == Op::Mul)
      return ltiInput(n->operands[0], inner) && ltiInput(n->operands[1], inner);
    return std::find(n->dims.begin(), n->dims.end(), inner) == n->dims.end();
  }

  const Options &opts_;
  SourceManager &sm_;
  DiagEngine &diags_;
  std::vector<FileUnit> units_;
  std::map<std::string, size_t> loaded_;
  std::map<std::string, const ast::FnDecl *> fns_;
  std::map<std::string, const ast::InitDecl *> inits_;
  std::vector<Scope> scopes_;
  std::vector<const ast::FnDecl *> inlining_;
  std::set<std::string> usedLets_;
  std::map<std::string, Loc> letLocs_;
  std::unordered_map<const Node *, bool> prevMemo_;
  Layer *layer_ = nullptr;
  State *updating_ = nullptr;
  bool inInit_ = false;
  bool affineReported_ = false;
  int depth_ = 0;
  bool depthReported_ = false;
  size_t nodes_ = 0;       // nodes made so far (kMaxNodes)
  size_t visits_ = 0;      // typeExpr calls so far (kMaxVisits)
  bool sizeReported_ = false;
  bool elementsReported_ = false;
  Loc outerCall_;          // the expression typed outside any inlined function
};

} // namespace

Program analyze(const std::string &path, const std::optional<std::string> &text, const Options &opts,
                SourceManager &sm, DiagEngine &diags) {
  Analyzer a(opts, sm, diags);
  return a.run(path, text);
}

} // namespace ssmc::sema
