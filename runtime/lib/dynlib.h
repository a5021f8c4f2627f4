// Opening a shared library at run time and looking up its functions, with dlerror's words
// kept for the message a caller shows when the library is missing.
#ifndef SSMRT_LIB_DYNLIB_H
#define SSMRT_LIB_DYNLIB_H

#include <string>
#include <vector>

namespace ssmrt {

struct DynLib {
  void *handle = nullptr;
  std::string path;  // the name that opened
  std::string error; // when handle is null: each name tried and why it failed

  // Tries each name in order (as given to dlopen: a soname or a path). Never closes the
  // library again: function pointers taken from it stay valid for the life of the process.
  static DynLib open(const std::vector<std::string> &names);

  // The symbol, or null (and a message appended to *missing).
  void *symbol(const char *name, std::string *missing) const;
};

}  // namespace ssmrt

#endif  // SSMRT_LIB_DYNLIB_H
