/* Shared internals of the secp256k1 translation unit: the checked-build assertion and the 128-bit type. */
#ifndef LV_SECP256K1_UTIL_H
#define LV_SECP256K1_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

/* Internal consistency checks, compiled in only by the checked (sanitizer) build. A failure there is a bug
 * in this file, never bad input, so trapping is the right answer: the sanitizer run reports it. */
#ifdef LV_VERIFY
#include <stdio.h>
#define VERIFY_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: VERIFY_CHECK(%s) failed\n", __FILE__, __LINE__, #cond); __builtin_trap(); } } while (0)
#else
#define VERIFY_CHECK(cond) do { (void)sizeof(cond); } while (0)
#endif

#endif
