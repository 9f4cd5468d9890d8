/* The one dispatch step of the signature families (hash.c's resolve() shape): a family keeps its paths in
 * a measured order, fastest first, and a path_ok(path) that asks the build and lv_cpu_features() (so the
 * mask of LEDGERVAL_CPU_FEATURES and cpu_mask); the path in use is the first the CPU has. */
#ifndef LV_DISPATCH_H
#define LV_DISPATCH_H
#include <stddef.h>

/* The first path of order[0..n) that path_ok accepts; the last entry is the portable path, always there. */
static inline int lv_first_path(const int *order, size_t n, int (*path_ok)(int)) {
    for (size_t i = 0; i + 1 < n; i++)
        if (path_ok(order[i])) return order[i];
    return order[n - 1];
}

#define LV_BEST_PATH(order, path_ok) lv_first_path((order), sizeof(order) / sizeof((order)[0]), (path_ok))

#endif
