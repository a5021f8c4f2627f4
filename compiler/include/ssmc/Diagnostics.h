// Source files, locations and the diagnostic engine of the front end.
#ifndef SSMC_DIAGNOSTICS_H
#define SSMC_DIAGNOSTICS_H

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace ssmc {

/// A position in a source file: file id (into SourceManager), 1-based line and column, and the
/// byte offsets of the construct it names (so messages can quote the source text).
struct Loc {
  int32_t file = -1;
  int32_t line = 0;
  int32_t col = 0;
  uint32_t begin = 0; // byte offset of the first character
  uint32_t end = 0;   // byte offset one past the last character
  bool valid() const { return file >= 0; }
};

/// Owns the text of every file the compiler read; loaded once, never changed.
class SourceManager {
public:
  /// Adds a buffer; returns its file id.
  int32_t add(std::string path, std::string text);
  const std::string &path(int32_t file) const { return files_[file].path; }
  const std::string &text(int32_t file) const { return files_[file].text; }
  size_t size() const { return files_.size(); }
  /// The text of line `line` (1-based) of `file`, without its newline.
  std::string lineText(int32_t file, int32_t line) const;
  /// The source text a location spans (empty when it spans nothing).
  std::string slice(const Loc &loc) const;

private:
  struct File {
    std::string path;
    std::string text;
    std::vector<uint32_t> lineStarts;
  };
  std::vector<File> files_;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity;
  Loc loc;
  std::string message;
};

/// Collects diagnostics and prints them as `file:line:col: error: message`, the source line
/// and a caret under the column.
class DiagEngine {
public:
  explicit DiagEngine(const SourceManager &sm) : sm_(sm) {}
  void error(const Loc &loc, std::string msg) { add(Severity::Error, loc, std::move(msg)); }
  void warning(const Loc &loc, std::string msg) { add(Severity::Warning, loc, std::move(msg)); }
  void note(const Loc &loc, std::string msg) { add(Severity::Note, loc, std::move(msg)); }
  void add(Severity s, const Loc &loc, std::string msg);

  unsigned errorCount() const { return errors_; }
  unsigned warningCount() const { return warnings_; }
  bool hasErrors() const { return errors_ > 0; }
  const std::vector<Diagnostic> &all() const { return diags_; }
  /// Stop recording errors after this many (the rest are counted, not printed).
  void setErrorLimit(unsigned n) { limit_ = n; }

  void print(std::ostream &os) const;
  std::string format(const Diagnostic &d) const;

private:
  const SourceManager &sm_;
  std::vector<Diagnostic> diags_;
  unsigned errors_ = 0, warnings_ = 0, limit_ = 50;
};

} // namespace ssmc

#endif
