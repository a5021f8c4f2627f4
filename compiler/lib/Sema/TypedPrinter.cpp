// Prints the typed AST (`ssmc --emit=ast`): declarations and expression trees with dims, dtype
// and whether a value varies per step. A node reached twice is printed once and then named.
#include "ssmc/Sema.h"

#include <map>
#include <ostream>
#include <sstream>

namespace ssmc::sema {
namespace {

const char *opName(const Node &n) {
  switch (n.op) {
  case Op::Const:
    return "const";
  case Op::IndexVar:
    return "index";
  case Op::DimSize:
    return "size";
  case Op::In:
    return "in";
  case Op::Param:
    return "param";
  case Op::StatePrev:
    return "state.prev";
  case Op::StateCur:
    return "state";
  case Op::Neg:
    return "neg";
  case Op::Add:
    return "add";
  case Op::Sub:
    return "sub";
  case Op::Mul:
    return "mul";
  case Op::Div:
    return "div";
  case Op::MatMul:
    return "matmul";
  case Op::Cmp:
    return "cmp";
  case Op::Select:
    return "select";
  case Op::Builtin:
    return "call";
  case Op::Reduce:
    return "reduce";
  case Op::CallResult:
    return "inline";
  }
  return "?";
}

class Printer {
public:
  Printer(const Layer &l, std::ostream &os) : L(l), os(os) {}

  std::string type(const Node &n) {
    std::string s = n.boolean ? "bool" : n.complex ? "c64" : "f32";
    s += L.dimsString(n.dims);
    if (n.step)
      s += " step";
    return s;
  }

  void expr(const NodeRef &n, int indent) {
    std::string pad(indent * 2, ' ');
    if (!n) {
      os << pad << "<error>\n";
      return;
    }
    auto it = ids_.find(n.get());
    if (it != ids_.end()) {
      os << pad << "%" << it->second << " : " << type(*n) << "\n";
      return;
    }
    bool leaf = n->operands.empty();
    os << pad;
    if (!leaf && shared(n)) {
      int id = next_++;
      ids_[n.get()] = id;
      os << "%" << id << " = ";
    }
    os << opName(*n);
    switch (n->op) {
    case Op::Const: {
      std::ostringstream v;
      v.precision(9);
      v << n->value;
      os << " " << v.str();
      break;
    }
    case Op::IndexVar:
    case Op::In:
    case Op::Param:
    case Op::StatePrev:
    case Op::StateCur:
    case Op::Builtin:
      os << " " << n->name;
      break;
    case Op::DimSize:
      os << " " << n->name << " = " << static_cast<long long>(n->value);
      break;
    case Op::Cmp:
      os << " " << ast::binOpSpelling(n->cmp);
      break;
    case Op::Reduce:
      os << " " << n->name << "[" << L.dims[n->reduceDim].name << "]";
      break;
    case Op::CallResult:
      os << " " << n->call->fn << "#" << n->resultIndex << (n->call->discretization ? " (discretization)" : "");
      break;
    default:
      break;
    }
    os << " : " << type(*n) << "\n";
    for (auto &o : n->operands)
      expr(o, indent + 1);
  }

  void count(const NodeRef &n) {
    if (!n)
      return;
    if (uses_[n.get()]++ > 0)
      return;
    for (auto &o : n->operands)
      count(o);
  }
  bool shared(const NodeRef &n) { return uses_[n.get()] > 1; }

  void layer() {
    for (const Tensor &t : L.tensors)
      count(t.value);
    for (const State &s : L.states) {
      count(s.decay);
      count(s.input);
    }
    for (const Let &l : L.lets)
      for (auto &v : l.values)
        count(v);
    os << "layer " << L.name << " (dims";
    for (size_t i = 0; i < L.dims.size(); ++i) {
      os << (i ? ", " : " ") << L.dims[i].name << " = ";
      if (L.dims[i].size)
        os << *L.dims[i].size;
      else
        os << "?";
    }
    os << ")";
    os << " facts(" << (L.facts.selective ? "selective" : "lti")
       << (L.facts.scalarDecay ? ", scalar-decay" : "") << ")\n";
    for (const Item &it : L.items) {
      if (it.kind == ItemKind::Tensor) {
        const Tensor &t = L.tensors[it.index];
        os << "  " << ast::roleName(t.role) << " " << t.name << " : " << dtypeName(t.dtype)
           << L.dimsString(t.dims);
        if (!t.init.empty())
          os << " = init " << t.init;
        os << "\n";
        if (t.value)
          expr(t.value, 2);
      } else if (it.kind == ItemKind::State) {
        const State &s = L.states[it.index];
        os << "  state " << s.name << " : " << (s.complex ? "c64" : "f32") << L.dimsString(s.dims)
           << (s.dense ? " dense" : " diagonal") << "\n";
        os << "    decay:\n";
        expr(s.decay, 3);
        os << "    input:\n";
        expr(s.input, 3);
      } else {
        const Let &l = L.lets[it.index];
        for (size_t i = 0; i < l.names.size(); ++i) {
          os << "  let " << l.names[i] << "\n";
          expr(l.values[i], 2);
        }
      }
    }
  }

private:
  const Layer &L;
  std::ostream &os;
  std::map<const Node *, int> ids_;
  std::map<const Node *, int> uses_;
  int next_ = 0;
};

} // namespace

void printTyped(const Program &p, std::ostream &os) {
  for (const Layer &l : p.layers) {
    Printer pr(l, os);
    pr.layer();
  }
}

} // namespace ssmc::sema
