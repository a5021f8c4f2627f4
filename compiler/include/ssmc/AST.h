// The plain syntax tree of an ssmc script: what the parser builds, before names are resolved.
// No ANTLR type appears here; the parser library converts its parse tree into these nodes.
#ifndef SSMC_AST_H
#define SSMC_AST_H

#include "ssmc/Diagnostics.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind { Number, Name, Neg, Binary, Call, Reduce, Tuple, If };

enum class BinOp { Add, Sub, Mul, Div, MatMul, Lt, Le, Gt, Ge, Eq, Ne };
const char *binOpSpelling(BinOp op);

struct Arg {
  std::string key; // empty for a positional argument
  Loc keyLoc;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  Loc loc;
  double number = 0;      // Number
  std::string name;       // Name, Call (callee), Reduce (reducer)
  std::string dim;        // Reduce: the dim it removes
  Loc dimLoc;             // Reduce
  BinOp op = BinOp::Add;  // Binary
  std::vector<ExprPtr> operands; // Neg:1, Binary:2, Reduce:1, Tuple:n, If: cond/then/else
  std::vector<Arg> args;  // Call
};

struct Ident {
  std::string name;
  Loc loc;
};

struct LetStmt {
  std::vector<Ident> names; // one name, or several for tuple destructuring
  bool tuple = false;
  ExprPtr value;
  Loc loc;
};

enum class Role { In, Param, State, Out };
const char *roleName(Role r);

struct TensorType {
  std::optional<Ident> dtype; // absent: the default storage dtype
  std::vector<Ident> dims;
  Loc loc;
};

struct TensorDecl {
  Role role;
  Ident name;
  TensorType type;
  ExprPtr value; // state: the update; out: the value; param: an initializer; in: none
  Loc loc;
};

struct LayerItem {
  std::unique_ptr<TensorDecl> tensor; // exactly one of tensor / let is set
  std::unique_ptr<LetStmt> let;
};

struct DimDecl {
  Ident name;
  std::optional<int64_t> size;
  Loc sizeLoc;
};

struct LayerDecl {
  Ident name;
  std::vector<DimDecl> dims;
  std::vector<LayerItem> items;
  Loc loc;
};

struct FnDecl {
  Ident name;
  std::vector<Ident> annotations; // e.g. @discretization
  std::vector<Ident> params;
  std::vector<std::unique_ptr<LetStmt>> lets;
  ExprPtr ret;
  Loc loc;
};

/// A default initializer for params: `init name[i, j] = expr`, where the index variables range
/// over the dims of the param it initializes.
struct InitDecl {
  Ident name;
  std::vector<Ident> indices;
  ExprPtr body;
  Loc loc;
};

struct ImportDecl {
  std::string path; // as written, without quotes
  Loc loc;
};

/// One parsed file.
struct File {
  int32_t fileId = -1;
  std::vector<ImportDecl> imports;
  std::vector<std::unique_ptr<FnDecl>> fns;
  std::vector<std::unique_ptr<InitDecl>> inits;
  std::vector<std::unique_ptr<LayerDecl>> layers;
};

} // namespace ssmc::ast

#endif
