/* The code paths of the a = -3 curve kernels (wei3: short Weierstrass, a = -3; P-256 and SM2), chosen the
 * way hash.c chooses: the first path in W3_PATH_ORDER that this build has and the CPU reports (under
 * lv_cpu_features' mask, so LEDGERVAL_CPU_FEATURES and ledgerval.native.cpu_mask).
 *   W3_PATH_IFMA8     eight verifications per AVX-512 IFMA vector (wei3_ifma_impl.h)
 *   W3_PATH_ADX       4x64 field products in MULX/ADCX/ADOX assembly (wei3_field_impl.h)
 *   W3_PATH_PORTABLE  4x64 field products in C (_addcarry_u64 on x86-64, __int128 elsewhere)
 * The 4x64 code that every path still runs (scalar inversions, key parsing, the lanes' exceptional
 * cases) takes MULX/ADX whenever W3_PATH_ADX is ok, whichever path is best.
 * Measured: P-256 verification of 256 compressed keys seen once, C entry, one core of the loaded 2-core
 * AMD EPYC (Zen 4 class), us per verification, median (min-max) of 7 interleaved runs (2026-12-03):
 *   IFMA x8 9.6 (9.1-23.6)    ADX 4x64 58.9 (44.2-104.5)    portable 4x64 218 (125-953)
 * so the order is IFMA, ADX, portable. */
#ifndef LV_WEI3_PATH_IMPL_H
#define LV_WEI3_PATH_IMPL_H
#include "cpu.h"
#include "lv_dispatch.h"

#define W3_PATH_PORTABLE 0
#define W3_PATH_ADX 1
#define W3_PATH_IFMA8 2

/* Both fast paths are GCC/Clang x86-64 code (inline assembly, target attributes). */
#if defined(__x86_64__) && defined(__GNUC__)
#define W3_HAVE_X86_PATHS 1
#endif

static const int W3_PATH_ORDER[] = {W3_PATH_IFMA8, W3_PATH_ADX, W3_PATH_PORTABLE};

static int w3_path_ok(int path) {
    if (path == W3_PATH_PORTABLE) return 1;
#ifdef W3_HAVE_X86_PATHS
    const uint32_t f = lv_cpu_features();
    const uint32_t need_ifma = LV_CPU_AVX512F | LV_CPU_AVX512IFMA, need_adx = LV_CPU_BMI2 | LV_CPU_ADX;
    if (path == W3_PATH_IFMA8) return (f & need_ifma) == need_ifma;
    if (path == W3_PATH_ADX) return (f & need_adx) == need_adx;
#endif
    return 0;
}

static int w3_best_path(void) { return LV_BEST_PATH(W3_PATH_ORDER, w3_path_ok); }

#endif
