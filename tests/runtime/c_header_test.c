/* ssmrt.h is plain C: this file compiles it as C99 and calls the library from C. */
#include <stdio.h>
#include <string.h>

#include "ssmrt/ssmrt.h"

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: %s failed (last error: %s)\n", __FILE__, __LINE__, #cond, \
              ssmrt_last_error());                                                    \
      return 1;                                                                       \
    }                                                                                 \
  } while (0)

int main(void) {
  ssmrt_context_options options = SSMRT_CONTEXT_OPTIONS_INIT;
  ssmrt_context *ctx = NULL;
  int32_t count = -1;

  CHECK(ssmrt_context_create(&options, NULL) == SSMRT_INVALID_ARGUMENT);
  CHECK(strstr(ssmrt_last_error(), "out_ctx is NULL") != NULL);

  options.device_ordinal = SSMRT_DEVICE_NONE;
  options.cache_dir = "";
  CHECK(ssmrt_context_create(&options, &ctx) == SSMRT_OK);
  CHECK(ctx != NULL);
  CHECK(ssmrt_last_error()[0] == '\0');
  CHECK(ssmrt_module_layer_count(NULL, &count) == SSMRT_INVALID_ARGUMENT);
  CHECK(ssmrt_module_load_memory(ctx, "SSMPACK", 7, NULL) == SSMRT_INVALID_ARGUMENT);
  ssmrt_context_release(ctx);
  CHECK(ssmrt_dtype_size(SSMRT_DTYPE_C64) == 8);
  printf("ok\n");
  return 0;
}
