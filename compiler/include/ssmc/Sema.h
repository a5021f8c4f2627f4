// Semantic analysis: the typed layer model (every value with its dims, dtype and dependences)
// built from the AST, with imports resolved and user functions inlined.
#ifndef SSMC_SEMA_H
#define SSMC_SEMA_H

#include "ssmc/AST.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ssmc::sema {

/// Storage dtypes (f32, f16, bf16 real; c64 complex). Compute is f32 or complex f32.
enum class DType { F32, F16, BF16, C64 };
const char *dtypeName(DType t);
std::optional<DType> parseDType(const std::string &s);

/// Dims of a value: indices into the layer's dim list, in the layer's order. A dim may repeat
/// (a square matrix [N, N] for `A @ h`).
using Dims = std::vector<int>;

enum class Op {
  Const,     // value
  IndexVar,  // init body: the index ranging over dims[0]
  DimSize,   // init body: the size of a dim (value holds it)
  In,        // name
  Param,     // name
  StatePrev, // name: the state before this step's update
  StateCur,  // name: the state after this step's update
  Neg,
  Add,
  Sub,
  Mul,
  Div,
  MatMul,    // operands: square matrix, vector or matrix
  Cmp,       // cmp holds the comparison; result is boolean
  Select,    // cond, then, else
  Builtin,   // name: exp, log, ..., re, im, conj, complex, eye, inv
  Reduce,    // name: "sum"; reduceDim
  CallResult // an inlined function's result: call, resultIndex; operands[0] is the result value
};

struct Node;
using NodeRef = std::shared_ptr<Node>;

/// A call of a user function, inlined: args as typed at the call site, results built over them.
struct CallSite {
  std::string fn;
  bool discretization = false; // the function is annotated @discretization
  std::vector<NodeRef> args;
  std::vector<NodeRef> results;
  Loc loc;
};

struct Node {
  Op op;
  std::string name;
  double value = 0;
  ast::BinOp cmp = ast::BinOp::Lt;
  int reduceDim = -1;
  std::vector<NodeRef> operands;
  std::shared_ptr<CallSite> call;
  int resultIndex = 0;

  Dims dims;
  bool complex = false;
  bool boolean = false;
  int depth = 1;                  // operations on the longest path to a leaf (sema bounds it)
  bool step = false;              // varies per time step (depends on an in or a state)
  std::set<std::string> ins;      // ins it depends on
  std::set<std::string> states;   // states it depends on (current or previous)
  Loc loc;
};

struct Tensor {
  std::string name;
  ast::Role role;
  DType dtype;
  bool dtypeGiven = false;
  Dims dims;
  NodeRef value;       // out: its value; param: default initializer (may be null)
  std::string init;    // param: the init it was given, if any
  Loc loc;
  bool used = false;
};

struct State {
  std::string name;
  Dims dims;
  bool complex = false;
  NodeRef update;  // the whole update expression
  NodeRef decay;   // a in h = a * h + b, or the matrix for dense updates
  NodeRef input;   // b
  bool dense = false;
  Loc loc;
  bool read = false;
};

struct Let {
  std::vector<std::string> names;
  std::vector<NodeRef> values;
  Loc loc;
};

struct DimInfo {
  std::string name;
  std::optional<int64_t> size;
  Loc loc;
};

struct Facts {
  bool selective = false;   // decay or input depends on an in
  bool lti = false;         // neither does
  bool scalarDecay = false; // the decay is one value per head (state dims minus the last two)
};

enum class ItemKind { Tensor, State, Let };
struct Item {
  ItemKind kind;
  size_t index;
};

struct Layer {
  std::string name;
  std::vector<DimInfo> dims;
  std::vector<Tensor> tensors; // ins, params, outs in declaration order
  std::vector<State> states;
  std::vector<Let> lets;
  std::vector<Item> items;     // declaration order, for printing
  Facts facts;
  Loc loc;

  std::string dimsString(const Dims &d) const;
  const Tensor *tensor(const std::string &n) const;
};

struct Program {
  std::vector<Layer> layers;
};

struct Options {
  std::vector<std::string> includeDirs;
  DType defaultDType = DType::F32;            // storage dtype of ins and outs without one
  std::map<std::string, int64_t> dimOverrides; // --dim N=16
  /// Where imported files come from. Unset: the disk. Set (a sandbox such as the fuzzer): it is
  /// asked for each candidate path, lexically normalized, and returns that file's text or
  /// nullopt where there is none; the disk is then never touched.
  std::function<std::optional<std::string>(const std::string &path)> readImport;
};

/// Reads `path` (or, when `text` is given, that text under the name `path`), resolves its
/// imports, and type-checks every layer of it. Errors go to `diags`; the program is complete
/// only when `diags.hasErrors()` is false.
Program analyze(const std::string &path, const std::optional<std::string> &text,
                const Options &opts, SourceManager &sm, DiagEngine &diags);

/// Prints the typed AST: every layer, declaration and expression node with dims and dtype.
void printTyped(const Program &p, std::ostream &os);

} // namespace ssmc::sema

#endif
