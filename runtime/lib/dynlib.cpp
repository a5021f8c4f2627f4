// dlopen/dlsym with messages (see dynlib.h).
#include "dynlib.h"

#include <dlfcn.h>

namespace ssmrt {

DynLib DynLib::open(const std::vector<std::string> &names) {
  DynLib lib;
  for (const std::string &name : names) {
    if (name.empty()) continue;
    // RTLD_LOCAL: the CUDA symbols must not leak into the host's global namespace, where a
    // host linked against another CUDA copy would pick them up.
    void *h = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) {
      lib.handle = h;
      lib.path = name;
      lib.error.clear();
      return lib;
    }
    const char *e = ::dlerror();
    if (!lib.error.empty()) lib.error += "; ";
    lib.error += e ? e : (name + ": cannot be opened");
  }
  return lib;
}

void *DynLib::symbol(const char *name, std::string *missing) const {
  void *p = handle ? ::dlsym(handle, name) : nullptr;
  if (!p && missing) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
  }
  return p;
}

}  // namespace ssmrt
