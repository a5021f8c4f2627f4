// Spellings of AST enums, shared by diagnostics and printers.
#include "ssmc/AST.h"

namespace ssmc::ast {

const char *binOpSpelling(BinOp op) {
  switch (op) {
  case BinOp::Add:
    return "+";
  case BinOp::Sub:
    return "-";
  case BinOp::Mul:
    return "*";
  case BinOp::Div:
    return "/";
  case BinOp::MatMul:
    return "@";
  case BinOp::Lt:
    return "<";
  case BinOp::Le:
    return "<=";
  case BinOp::Gt:
    return ">";
  case BinOp::Ge:
    return ">=";
  case BinOp::Eq:
    return "==";
  case BinOp::Ne:
    return "!=";
  }
  return "?";
}

const char *roleName(Role r) {
  switch (r) {
  case Role::In:
    return "in";
  case Role::Param:
    return "param";
  case Role::State:
    return "state";
  case Role::Out:
    return "out";
  }
  return "?";
}

} // namespace ssmc::ast
