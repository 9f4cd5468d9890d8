/* Stage costs of the wei3 kernels (P-256, or SM2 with -DCURVE_SM2) at the C entry points, timed by thread CPU
 * time (CLOCK_THREAD_CPUTIME_ID), so load from other processes on a shared machine moves the figures much less
 * than wall clock does.  Prints min and median over REPS repetitions, all stages interleaved in every
 * repetition.  Not part of the module: it includes the curve's translation unit to reach the static layers.
 *
 *   gcc -O3 -std=gnu11 -fno-strict-aliasing -Wno-unused-function -Inative/src benches/wei3_stages.c \
 *       native/src/cpu.c -lpthread -o /tmp/wei3_stages [-DCURVE_SM2] [-DN=1024]
 *   /tmp/wei3_stages avx2      (AVX2 tier features only: the 4x64 MULX/ADX path)
 *   /tmp/wei3_stages portable  (no BMI2/ADX: the portable 4x64 path)
 *   /tmp/wei3_stages           (every feature: where IFMA exists the plain verification takes its 8 lanes)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef CURVE_SM2
#include "sm2.c"
#define PFX(x) lv_sm2_##x
#else
#include "p256.c"
#define PFX(x) lv_p256_##x
#endif
#include "cpu.h"

#ifndef N
#define N 256            /* keys (one per signature); the bench's 1,024 keys hold 32 MiB of key tables */
#endif
#define REPS 15
#define OPS 100000       /* dependent field or group operations per latency stage */

static uint8_t privs[N * 32], nonces[N * 32], dig[N * 32], sigs[N * 64], keys33[N * 65], keys65[N * 65];
static uint8_t lens33[N], lens65[N], st[N], out[N];
static uint8_t tabs[(size_t)N * W3_KEYTAB_BYTES];
static int32_t idx[N];

enum { S_TAB, S_PLAIN, S_DECOMP, S_ECM_TAB, S_ECM_ONE, S_KEYTAB, S_MUL, S_SQR, S_SUB, S_DBL, S_ADD, S_COUNT };
static const char *NAMES[S_COUNT] = {
    "verify, key tables (us)", "verify, 65-byte keys (us)", "decompress (us)", "ecmult, key tables (us)",
    "ecmult, one table (us)", "key table build (us)", "fe_mul, dependent (ns)", "fe_sqr, dependent (ns)",
    "fe_sub, dependent (ns)", "gej_double_var (ns)", "gej_add_ge_var (ns)"};
static double t[S_COUNT][REPS];

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ULL;
static void random_bytes(uint8_t *b, int n) {
    for (int i = 0; i < n; i++) {
        rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
        b[i] = (uint8_t)rng_state;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* N signatures under N distinct keys (private keys and nonces below 2^255, so in [1, n-1]), and their tables. */
static int make_workload(void) {
    random_bytes(privs, sizeof privs);
    random_bytes(nonces, sizeof nonces);
    random_bytes(dig, sizeof dig);
    for (int i = 0; i < N; i++) {
        privs[32 * i] &= 0x7f; nonces[32 * i] &= 0x7f; privs[32 * i + 31] |= 1; nonces[32 * i + 31] |= 1;
        idx[i] = i; lens33[i] = 33; lens65[i] = 65;
    }
    uint8_t pub[N * 33];
    PFX(pubkeys)(privs, N, pub, st);
    for (int i = 0; i < N; i++) memcpy(keys33 + 65 * i, pub + 33 * i, 33);
    PFX(decompress)(keys33, lens33, N, keys65, st);
#ifdef CURVE_SM2
    PFX(sign_e)(privs, dig, nonces, N, sigs, st);
#else
    PFX(sign)(privs, dig, nonces, N, sigs, st);
#endif
    return PFX(keytab)(keys33, lens33, N, tabs, st);
}

static int all_ok(const char *what) {
    for (int i = 0; i < N; i++)
        if (!out[i]) { printf("FAIL: %s item %d\n", what, i); return 0; }
    return 1;
}

/* One repetition of the per-signature stages (us per item). */
static int time_verify_stages(int r) {
    double a = now_ns();
#ifdef CURVE_SM2
    PFX(verify_e_tab)(dig, sigs, N, tabs, N, idx, out);
#else
    PFX(verify_tab)(dig, sigs, N, 0, tabs, N, idx, out);
#endif
    double b = now_ns();
    if (!all_ok("key-table verify")) return 0;
#ifdef CURVE_SM2
    PFX(verify_e)(keys65, lens65, dig, sigs, N, out);
#else
    PFX(verify)(keys65, lens65, dig, sigs, N, 0, out);
#endif
    double c = now_ns();
    if (!all_ok("plain verify")) return 0;
    PFX(decompress)(keys33, lens33, N, keys65, st);
    double d = now_ns();
    PFX(keytab)(keys33, lens33, N / 8, tabs, st);   /* an eighth of them: a build is ~15 verifications */
    double e = now_ns();
    t[S_TAB][r] = (b - a) / N / 1e3; t[S_PLAIN][r] = (c - b) / N / 1e3; t[S_DECOMP][r] = (d - c) / N / 1e3;
    t[S_KEYTAB][r] = (e - d) / (N / 8) / 1e3;
    return 1;
}

/* The joint multiplication alone, over every key's table and over one table (no cache misses). */
static void time_ecmult(int r) {
    static scalar u1[N], u2[N];
    gej x;
    volatile int sink = 0;
    for (int i = 0; i < N; i++) { scalar_set_b32(&u1[i], dig + 32 * i); scalar_set_b32(&u2[i], sigs + 64 * i); }
    double a = now_ns();
    for (int i = 0; i < N; i++) { ecmult_keytab_var(&x, &u1[i], tabs + (size_t)W3_KEYTAB_BYTES * i, &u2[i]); sink += x.infinity; }
    double b = now_ns();
    for (int i = 0; i < N; i++) { ecmult_keytab_var(&x, &u1[i], tabs, &u2[i]); sink += x.infinity; }
    double c = now_ns();
    t[S_ECM_TAB][r] = (b - a) / N / 1e3; t[S_ECM_ONE][r] = (c - b) / N / 1e3;
}

/* Latency of dependent field and group operations (ns each). */
static void time_ops(int r) {
    fe f = W3_FE_ONE, g = W3_GE_G.x;
    gej p;
    const ge q = w3_gtabs[0][5];
    volatile uint64_t sink = 0;
    double a = now_ns();
    for (int i = 0; i < OPS; i++) fe_mul(&f, &f, &g);
    double b = now_ns();
    for (int i = 0; i < OPS; i++) fe_sqr(&f, &f);
    double c = now_ns();
    for (int i = 0; i < OPS; i++) fe_sub(&f, &g, &f);
    double d = now_ns();
    gej_set_ge(&p, &W3_GE_G);
    for (int i = 0; i < OPS; i++) gej_double_var(&p, &p);
    double e = now_ns();
    for (int i = 0; i < OPS; i++) gej_add_ge_var(&p, &p, &q);
    double g2 = now_ns();
    sink += f.v[0] + p.x.v[0];
    t[S_MUL][r] = (b - a) / OPS; t[S_SQR][r] = (c - b) / OPS; t[S_SUB][r] = (d - c) / OPS;
    t[S_DBL][r] = (e - d) / OPS; t[S_ADD][r] = (g2 - e) / OPS;
}

int main(int argc, char **argv) {
    const uint32_t avx2_tier = LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_BMI2 | LV_CPU_ADX | LV_CPU_SHA;
    if (argc > 1 && strcmp(argv[1], "avx2") == 0) lv_cpu_set_mask(avx2_tier);
    if (argc > 1 && strcmp(argv[1], "portable") == 0) lv_cpu_set_mask(LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_SHA);
    if (make_workload() != LV_OK) { printf("workload failed\n"); return 1; }
    printf("%s, %d keys, best path %d (0 portable, 1 adx, 2 ifma8)\n",
#ifdef CURVE_SM2
           "SM2",
#else
           "P-256",
#endif
           N, PFX(best_path)());
    for (int r = 0; r < REPS; r++) {
        if (!time_verify_stages(r)) return 1;
        time_ecmult(r);
        time_ops(r);
    }
    for (int k = 0; k < S_COUNT; k++) {
        qsort(t[k], REPS, sizeof(double), cmp_double);
        printf("%-28s min %8.2f  median %8.2f\n", NAMES[k], t[k][0], t[k][REPS / 2]);
    }
    return 0;
}
