/* The one internal-consistency check of every kernel family: VERIFY_CHECK(cond), compiled in only by the
 * checked (sanitizer) build, LV_VERIFY.  A failure there is a bug in the kernel, never bad input, so
 * trapping is the right answer: the sanitizer run reports it with its file and line.  Without LV_VERIFY the
 * condition is not evaluated (it may be costly), only type-checked. */
#ifndef LV_VERIFY_H
#define LV_VERIFY_H

#ifdef LV_VERIFY
#include <stdio.h>
#define VERIFY_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: VERIFY_CHECK(%s) failed\n", __FILE__, __LINE__, #cond); __builtin_trap(); } } while (0)
#else
#define VERIFY_CHECK(cond) do { (void)sizeof(cond); } while (0)
#endif

#endif
