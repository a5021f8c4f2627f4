// Turns ANTLR's parse tree into the plain AST; reports syntax errors with locations.
#include "ssmc/Parser.h"

#include "SsmLexer.h"
#include "SsmParser.h"
#include "antlr4-runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ssmc {
namespace {

using grammar::SsmLexer;
using grammar::SsmParser;

/// Deeper nesting than this is refused before parsing, so that neither ANTLR's recursive
/// descent nor the recursive passes after it can run out of stack.
constexpr int kMaxNesting = 200;
/// ANTLR keeps every token and parse-tree node (a few hundred bytes per token): a bound on the
/// tokens of one file bounds the memory and time of parsing it (about 50,000 lines of code).
constexpr size_t kMaxTokens = 1000000;

/// CommonTokenStream with its batch fetch exposed, so that lexing stops at kMaxTokens.
class BoundedTokenStream : public antlr4::CommonTokenStream {
public:
  using antlr4::CommonTokenStream::CommonTokenStream;
  /// Lexes up to `n` more tokens; returns how many were added (fewer at the end of the file).
  size_t fetchMore(size_t n) { return fetch(n); }
};

class ErrorListener : public antlr4::BaseErrorListener {
public:
  ErrorListener(int32_t file, DiagEngine &diags) : file_(file), diags_(diags) {}
  void syntaxError(antlr4::Recognizer *, antlr4::Token *tok, size_t line, size_t col,
                   const std::string &msg, std::exception_ptr) override {
    Loc loc;
    loc.file = file_;
    loc.line = static_cast<int32_t>(line);
    loc.col = static_cast<int32_t>(col) + 1;
    if (tok && tok->getStartIndex() != INVALID_INDEX && tok->getType() != antlr4::Token::EOF) {
      loc.begin = static_cast<uint32_t>(tok->getStartIndex());
      loc.end = static_cast<uint32_t>(tok->getStopIndex() + 1);
    }
    diags_.error(loc, "syntax error: " + cleanup(msg));
  }

private:
  // ANTLR's messages quote tokens with escapes; keep them as they are but shorten the set
  // listing, which for an expression position names every token and helps nobody.
  static std::string cleanup(const std::string &m) {
    auto p = m.find(" expecting {");
    if (p != std::string::npos && m.size() - p > 80)
      return m.substr(0, p);
    return m;
  }
  int32_t file_;
  DiagEngine &diags_;
};

class Builder {
public:
  Builder(int32_t file, const std::string &text, DiagEngine &diags) : file_(file), text_(text), diags_(diags) {}

  Loc loc(antlr4::ParserRuleContext *ctx) const {
    Loc l;
    if (!ctx || !ctx->getStart())
      return l;
    l.file = file_;
    l.line = static_cast<int32_t>(ctx->getStart()->getLine());
    l.col = static_cast<int32_t>(ctx->getStart()->getCharPositionInLine()) + 1;
    l.begin = static_cast<uint32_t>(ctx->getStart()->getStartIndex());
    antlr4::Token *stop = ctx->getStop();
    l.end = stop && stop->getStopIndex() != INVALID_INDEX && stop->getStopIndex() >= ctx->getStart()->getStartIndex()
                ? static_cast<uint32_t>(stop->getStopIndex() + 1)
                : l.begin;
    return l;
  }
  Loc loc(antlr4::Token *t) const {
    Loc l;
    if (!t)
      return l;
    l.file = file_;
    l.line = static_cast<int32_t>(t->getLine());
    l.col = static_cast<int32_t>(t->getCharPositionInLine()) + 1;
    l.begin = static_cast<uint32_t>(t->getStartIndex());
    l.end = static_cast<uint32_t>(t->getStopIndex() + 1);
    return l;
  }
  ast::Ident ident(antlr4::Token *t) const {
    ast::Ident id;
    if (t) {
      id.name = t->getText();
      id.loc = loc(t);
    }
    return id;
  }

  std::unique_ptr<ast::File> file(SsmParser::FileContext *ctx) {
    auto f = std::make_unique<ast::File>();
    f->fileId = file_;
    for (auto *d : ctx->decl()) {
      if (auto *im = d->importDecl()) {
        if (!im->STRING())
          continue;
        // From the file itself: ANTLR saw non-ASCII bytes replaced (parseFile).
        Loc sl = loc(im->STRING()->getSymbol());
        std::string s = sl.end > sl.begin && sl.end <= text_.size() ? text_.substr(sl.begin, sl.end - sl.begin)
                                                                    : im->STRING()->getText();
        ast::ImportDecl decl;
        decl.path = s.size() >= 2 ? s.substr(1, s.size() - 2) : s;
        decl.loc = loc(im);
        f->imports.push_back(std::move(decl));
      } else if (auto *fn = d->fnDecl()) {
        f->fns.push_back(fnDecl(fn));
      } else if (auto *in = d->initDecl()) {
        auto init = std::make_unique<ast::InitDecl>();
        init->name = ident(in->name);
        for (auto *t : in->idx)
          init->indices.push_back(ident(t));
        init->body = expr(in->body);
        init->loc = loc(in);
        f->inits.push_back(std::move(init));
      } else if (auto *l = d->layerDecl()) {
        f->layers.push_back(layer(l));
      }
    }
    return f;
  }

private:
  std::unique_ptr<ast::FnDecl> fnDecl(SsmParser::FnDeclContext *ctx) {
    auto fn = std::make_unique<ast::FnDecl>();
    fn->name = ident(ctx->name);
    for (auto *a : ctx->annotation())
      fn->annotations.push_back(ident(a->ID() ? a->ID()->getSymbol() : nullptr));
    for (auto *p : ctx->params)
      fn->params.push_back(ident(p));
    for (auto *l : ctx->letStmt())
      fn->lets.push_back(let(l));
    fn->ret = expr(ctx->ret);
    fn->loc = loc(ctx);
    return fn;
  }

  std::unique_ptr<ast::LayerDecl> layer(SsmParser::LayerDeclContext *ctx) {
    auto l = std::make_unique<ast::LayerDecl>();
    l->name = ident(ctx->name);
    l->loc = loc(ctx);
    for (auto *d : ctx->dimDecl()) {
      ast::DimDecl dim;
      dim.name = ident(d->name);
      if (d->size) {
        dim.sizeLoc = loc(d->size);
        std::string text = d->size->getText();
        bool integral = text.find_first_not_of("0123456789") == std::string::npos;
        errno = 0;
        unsigned long long v = integral ? std::strtoull(text.c_str(), nullptr, 10) : 0;
        if (!integral)
          diags_.error(dim.sizeLoc, "size of dim " + dim.name.name + " must be a positive integer, not " + text);
        else if (errno == ERANGE || v == 0 || v > (1ull << 31))
          diags_.error(dim.sizeLoc, "size of dim " + dim.name.name + " is " + text +
                                        "; it must be between 1 and 2^31");
        else
          dim.size = static_cast<int64_t>(v);
      }
      l->dims.push_back(std::move(dim));
    }
    for (auto *item : ctx->layerItem()) {
      ast::LayerItem li;
      if (auto *t = item->tensorDecl()) {
        auto td = std::make_unique<ast::TensorDecl>();
        std::string r = t->role ? t->role->getText() : "in";
        td->role = r == "in" ? ast::Role::In
                   : r == "param" ? ast::Role::Param
                   : r == "state" ? ast::Role::State
                                  : ast::Role::Out;
        td->name = ident(t->name);
        if (auto *ty = t->tensorType()) {
          if (ty->dtype)
            td->type.dtype = ident(ty->dtype);
          for (auto *d : ty->dims)
            td->type.dims.push_back(ident(d));
          td->type.loc = loc(ty);
        }
        if (t->value)
          td->value = expr(t->value);
        td->loc = loc(t);
        li.tensor = std::move(td);
      } else if (auto *ls = item->letStmt()) {
        li.let = let(ls);
      } else {
        continue;
      }
      l->items.push_back(std::move(li));
    }
    return l;
  }

  std::unique_ptr<ast::LetStmt> let(SsmParser::LetStmtContext *ctx) {
    auto l = std::make_unique<ast::LetStmt>();
    l->loc = loc(ctx);
    if (ctx->single) {
      l->names.push_back(ident(ctx->single));
    } else {
      l->tuple = true;
      for (auto *n : ctx->names)
        l->names.push_back(ident(n));
    }
    l->value = expr(ctx->value);
    return l;
  }

  ast::ExprPtr make(ast::ExprKind k, antlr4::ParserRuleContext *ctx) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = k;
    e->loc = loc(ctx);
    return e;
  }

  // A placeholder for a subtree the parser could not build (after a syntax error).
  ast::ExprPtr missing(antlr4::ParserRuleContext *ctx) {
    auto e = make(ast::ExprKind::Number, ctx);
    e->number = 0;
    return e;
  }

  ast::ExprPtr expr(SsmParser::ExprContext *ctx) {
    if (!ctx)
      return missing(nullptr);
    if (++depth_ > kMaxNesting * 4) {
      if (!depthReported_)
        diags_.error(loc(ctx), "expression nested too deeply (more than " +
                                   std::to_string(kMaxNesting * 4) + " levels)");
      depthReported_ = true;
      --depth_;
      return missing(ctx);
    }
    ast::ExprPtr r = exprImpl(ctx);
    --depth_;
    return r;
  }

  ast::ExprPtr exprImpl(SsmParser::ExprContext *ctx) {
    if (auto *n = dynamic_cast<SsmParser::NegExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Neg, n);
      e->operands.push_back(expr(n->expr()));
      return e;
    }
    if (auto *m = dynamic_cast<SsmParser::MulExprContext *>(ctx))
      return binary(m, m->op, m->lhs, m->rhs);
    if (auto *a = dynamic_cast<SsmParser::AddExprContext *>(ctx))
      return binary(a, a->op, a->lhs, a->rhs);
    if (auto *c = dynamic_cast<SsmParser::CmpExprContext *>(ctx))
      return binary(c, c->op, c->lhs, c->rhs);
    if (auto *i = dynamic_cast<SsmParser::IfExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::If, i);
      e->operands.push_back(expr(i->cond));
      e->operands.push_back(expr(i->thenE));
      e->operands.push_back(expr(i->elseE));
      return e;
    }
    if (auto *p = dynamic_cast<SsmParser::PrimaryExprContext *>(ctx))
      return primary(p->primary());
    return missing(ctx);
  }

  ast::ExprPtr binary(antlr4::ParserRuleContext *ctx, antlr4::Token *op, SsmParser::ExprContext *l,
                      SsmParser::ExprContext *r) {
    auto e = make(ast::ExprKind::Binary, ctx);
    std::string s = op ? op->getText() : "+";
    using B = ast::BinOp;
    e->op = s == "+" ? B::Add : s == "-" ? B::Sub : s == "*" ? B::Mul : s == "/" ? B::Div
          : s == "@" ? B::MatMul : s == "<" ? B::Lt : s == "<=" ? B::Le : s == ">" ? B::Gt
          : s == ">=" ? B::Ge : s == "==" ? B::Eq : B::Ne;
    e->operands.push_back(expr(l));
    e->operands.push_back(expr(r));
    return e;
  }

  ast::ExprPtr primary(SsmParser::PrimaryContext *ctx) {
    if (!ctx)
      return missing(nullptr);
    if (auto *n = dynamic_cast<SsmParser::NumberLitContext *>(ctx)) {
      auto e = make(ast::ExprKind::Number, n);
      std::string text = n->getText();
      errno = 0;
      double v = std::strtod(text.c_str(), nullptr);
      if (errno == ERANGE && std::isinf(v))
        diags_.error(e->loc, "number " + (text.size() > 40 ? text.substr(0, 40) + "..." : text) +
                                 " is too large for f32 or f64");
      e->number = std::isfinite(v) ? v : 0;
      return e;
    }
    if (auto *c = dynamic_cast<SsmParser::CallExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Call, c);
      e->name = c->callee ? c->callee->getText() : "";
      for (auto *a : c->args) {
        ast::Arg arg;
        if (a->key) {
          arg.key = a->key->getText();
          arg.keyLoc = loc(a->key);
        }
        arg.value = expr(a->value);
        e->args.push_back(std::move(arg));
      }
      return e;
    }
    if (auto *r = dynamic_cast<SsmParser::ReduceExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Reduce, r);
      e->name = r->reducer ? r->reducer->getText() : "";
      e->dim = r->dim ? r->dim->getText() : "";
      e->dimLoc = loc(r->dim);
      e->operands.push_back(expr(r->body));
      return e;
    }
    if (auto *n = dynamic_cast<SsmParser::NameExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Name, n);
      e->name = n->getText();
      return e;
    }
    if (auto *p = dynamic_cast<SsmParser::ParenExprContext *>(ctx))
      return expr(p->expr());
    if (auto *t = dynamic_cast<SsmParser::TupleExprContext *>(ctx)) {
      auto e = make(ast::ExprKind::Tuple, t);
      for (auto *x : t->elems)
        e->operands.push_back(expr(x));
      return e;
    }
    return missing(ctx);
  }

  int32_t file_;
  const std::string &text_;
  DiagEngine &diags_;
  int depth_ = 0;
  bool depthReported_ = false;
};

} // namespace

std::unique_ptr<ast::File> parseFile(int32_t fileId, const SourceManager &sm, DiagEngine &diags) {
  const std::string &text = sm.text(fileId);
  unsigned before = diags.errorCount();
  try {
    // ANTLR decodes UTF-8 (and throws on invalid bytes) and counts offsets and columns in code
    // points. The language is ASCII outside comments and strings, so it gets a copy with every
    // byte >= 0x80 replaced by DEL (an error character in code, plain text in a comment): its
    // offsets and columns are then bytes of the file, and any byte sequence lexes.
    std::string ascii;
    const std::string *src = &text;
    if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
      ascii = text;
      for (char &c : ascii)
        if (static_cast<unsigned char>(c) >= 0x80)
          c = '\x7f';
      src = &ascii;
    }
    antlr4::ANTLRInputStream input(*src);
    SsmLexer lexer(&input);
    ErrorListener listener(fileId, diags);
    lexer.removeErrorListeners();
    BoundedTokenStream tokens(&lexer);
    while (tokens.size() <= kMaxTokens && tokens.fetchMore(4096) == 4096) {
    }
    auto locOf = [&](antlr4::Token *t) {
      Loc l;
      l.file = fileId;
      l.line = static_cast<int32_t>(t->getLine());
      l.col = static_cast<int32_t>(t->getCharPositionInLine()) + 1;
      l.begin = static_cast<uint32_t>(t->getStartIndex());
      l.end = static_cast<uint32_t>(t->getStopIndex() + 1);
      return l;
    };
    if (tokens.size() > kMaxTokens) {
      diags.error(locOf(tokens.get(kMaxTokens)),
                  "the file has more than " + std::to_string(kMaxTokens) + " tokens; split it into imports");
      return std::make_unique<ast::File>();
    }

    // Refuse pathological nesting before the recursive-descent parser sees it, and report
    // characters the language has no use for with their location. Besides brackets, a prefix
    // `-` or an `if` opens a level of ANTLR's recursion that lasts to the end of its operand;
    // they are counted per bracket level until a `,` or the next statement (an over-estimate
    // only for scripts with hundreds of them in one statement).
    std::vector<int> prefixes(1, 0); // per open bracket: prefix operators since its last `,`
    int depth = 0;                   // open brackets plus every count in `prefixes`
    bool afterOperand = false;       // the previous token ends an operand (`-` is binary)
    for (antlr4::Token *t : tokens.getTokens()) {
      std::string s = t->getType() == antlr4::Token::EOF ? "" : t->getText();
      Loc l = locOf(t);
      bool operandEnd = t->getType() == SsmLexer::ID || t->getType() == SsmLexer::NUMBER || s == ")" || s == "]";
      bool prefix = s == "if" || (s == "-" && !afterOperand);
      afterOperand = operandEnd;
      if (s == "," || s == ";" || s == "let" || s == "in" || s == "param" || s == "state" || s == "out" ||
          s == "return" || s == "fn" || s == "init" || s == "layer" || s == "import" || s == "#") {
        depth -= prefixes.back();
        prefixes.back() = 0;
      }
      if (prefix) {
        ++prefixes.back();
        if (++depth > kMaxNesting) {
          diags.error(l, "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
          break;
        }
      }
      if (t->getType() == SsmLexer::ERRCHAR) {
        size_t at = t->getStartIndex();
        unsigned char ch = at < text.size() ? static_cast<unsigned char>(text[at]) : 0;
        bool continuation = (ch & 0xC0) == 0x80 && at > 0 && static_cast<unsigned char>(text[at - 1]) >= 0x80;
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", ch);
        if (continuation)
          continue; // one error per multi-byte character, at its first byte
        if (ch == '"')
          diags.error(l, "unterminated string literal");
        else if (ch >= 0x80)
          diags.error(l, "non-ASCII character in source; identifiers are ASCII letters, digits and _");
        else if (ch < 0x20 || ch == 0x7f)
          diags.error(l, std::string("unexpected control character ") + hex);
        else
          diags.error(l, "unexpected character '" + s + "'");
        if (diags.errorCount() - before > 20)
          break;
      }
      if (s == "(" || s == "[" || s == "{") {
        prefixes.push_back(0);
        if (++depth > kMaxNesting) {
          diags.error(l, "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
          break;
        }
      } else if ((s == ")" || s == "]" || s == "}") && prefixes.size() > 1) {
        depth -= prefixes.back() + 1;
        prefixes.pop_back();
      }
    }
    if (diags.errorCount() != before)
      return std::make_unique<ast::File>();

    SsmParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    SsmParser::FileContext *tree = parser.file();
    Builder builder(fileId, text, diags);
    auto result = builder.file(tree);
    result->fileId = fileId;
    return result;
  } catch (const std::exception &e) {
    Loc l;
    l.file = fileId;
    l.line = 1;
    l.col = 1;
    diags.error(l, std::string("internal parser failure: ") + e.what());
    return std::make_unique<ast::File>();
  }
}

} // namespace ssmc
