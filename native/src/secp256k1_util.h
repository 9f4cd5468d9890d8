/* Shared internals of the secp256k1 translation unit: the checked-build assertion (lv_verify.h) and the
 * 128-bit type. */
#ifndef LV_SECP256K1_UTIL_H
#define LV_SECP256K1_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

#include "lv_verify.h"

#endif
