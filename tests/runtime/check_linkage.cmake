# Checks that libssmrt.so needs no CUDA, NVRTC, MLIR, LLVM or ANTLR library at load time
# (run with cmake -DLIB=... -DREADELF=... -P). The runtime opens libcuda and NVRTC with
# dlopen, so a host without a GPU can start a program linked against it.
execute_process(COMMAND ${READELF} -d ${LIB} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${LIB}")
endif()
string(REGEX MATCHALL "NEEDED[^\n]*" needed "${dyn}")
if(NOT needed)
  message(FATAL_ERROR "no NEEDED entries found in ${LIB}: is it a shared library?")
endif()
foreach(line IN LISTS needed)
  string(TOLOWER "${line}" lower)
  if(lower MATCHES "cuda|nvrtc|mlir|llvm|antlr")
    message(FATAL_ERROR "${LIB} must not link this at load time: ${line}")
  endif()
endforeach()
message(STATUS "ok: ${needed}")
