// Source buffers and diagnostic printing (`file:line:col: error: ...`, source line, caret).
#include "ssmc/Diagnostics.h"

#include <sstream>

namespace ssmc {

int32_t SourceManager::add(std::string path, std::string text) {
  File f;
  f.path = std::move(path);
  f.text = std::move(text);
  f.lineStarts.push_back(0);
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n')
      f.lineStarts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<int32_t>(files_.size() - 1);
}

std::string SourceManager::lineText(int32_t file, int32_t line) const {
  if (file < 0 || static_cast<size_t>(file) >= files_.size())
    return {};
  const File &f = files_[file];
  if (line < 1 || static_cast<size_t>(line) > f.lineStarts.size())
    return {};
  uint32_t b = f.lineStarts[line - 1];
  uint32_t e = b;
  while (e < f.text.size() && f.text[e] != '\n' && f.text[e] != '\r')
    ++e;
  return f.text.substr(b, e - b);
}

std::string SourceManager::slice(const Loc &loc) const {
  if (loc.file < 0 || static_cast<size_t>(loc.file) >= files_.size())
    return {};
  const std::string &t = files_[loc.file].text;
  if (loc.end <= loc.begin || loc.end > t.size())
    return {};
  return t.substr(loc.begin, loc.end - loc.begin);
}

void DiagEngine::add(Severity s, const Loc &loc, std::string msg) {
  if (s == Severity::Error) {
    ++errors_;
    if (errors_ > limit_)
      return;
  } else if (s == Severity::Warning) {
    ++warnings_;
  } else if (errors_ > limit_) {
    return; // a note to a suppressed error
  }
  diags_.push_back({s, loc, std::move(msg)});
}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

std::string DiagEngine::format(const Diagnostic &d) const {
  std::ostringstream os;
  if (d.loc.valid()) {
    os << sm_.path(d.loc.file) << ":" << d.loc.line << ":" << d.loc.col << ": ";
  } else {
    os << "ssmc: ";
  }
  os << severityName(d.severity) << ": " << d.message << "\n";
  if (d.loc.valid()) {
    std::string line = sm_.lineText(d.loc.file, d.loc.line);
    // Keep very long lines readable: show a window around the column.
    size_t col = d.loc.col > 0 ? static_cast<size_t>(d.loc.col - 1) : 0;
    size_t start = col > 100 ? col - 60 : 0;
    std::string shown = line.substr(std::min(start, line.size()), 160);
    os << shown << "\n";
    std::string pad;
    for (size_t i = start; i < col && i < line.size(); ++i)
      pad += line[i] == '\t' ? '\t' : ' ';
    os << pad << "^";
    // Underline the rest of a construct on the same line.
    if (d.loc.end > d.loc.begin) {
      size_t len = d.loc.end - d.loc.begin;
      size_t avail = line.size() > col ? line.size() - col : 0;
      len = std::min(len, avail);
      for (size_t i = 1; i < len && i < 80; ++i)
        os << "~";
    }
    os << "\n";
  }
  return os.str();
}

void DiagEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : diags_)
    os << format(d);
  if (errors_ > limit_)
    os << "ssmc: note: " << (errors_ - limit_) << " more errors not shown\n";
}

} // namespace ssmc
