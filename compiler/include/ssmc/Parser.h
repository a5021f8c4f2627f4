// Parsing: script text -> plain AST. The only place that sees ANTLR.
#ifndef SSMC_PARSER_H
#define SSMC_PARSER_H

#include "ssmc/AST.h"

namespace ssmc {

/// Parses the file `fileId` of `sm`. Syntax errors go to `diags`; the returned tree holds what
/// could be read (callers must check `diags.hasErrors()` before trusting it).
std::unique_ptr<ast::File> parseFile(int32_t fileId, const SourceManager &sm, DiagEngine &diags);

} // namespace ssmc

#endif
