/* Per-signature cost of the Ed25519 batch verifier's stages, timed by thread CPU time (a C-entry
 * microbenchmark: nothing of Python in the loop, robust to other processes sharing the cores).
 *   cc -O3 -std=gnu11 -Inative/src benches/ed25519_stages.c native/src/cpu.c -lpthread -o /tmp/ed_stages
 *   LEDGERVAL_CPU_FEATURES is not read here: argv[1] = "portable" masks the CPU to no features, "avx2" to
 *   SSE41/AVX2/BMI2/ADX/SHA, "avx2-noadx" to SSE41/AVX2/SHA (the AVX2 path without the 4x64 field),
 *   anything else keeps all; argv[2], if given, is the sub-batch size (default 128).  Prints min and median
 *   ns per item over REPS runs. */
#include "../native/src/ed25519.c"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cpu.h"

#define N 1024
#define REPS 15
static uint8_t keys[N * 32], sigs[N * 64], msgs[N * 32], rnd[N * 16], st[N], seeds[N * 32];
/* the same messages signed by 64 keys in turn (a consortium's repeat signers) */
static uint8_t keys64[N * 32], sigs64[N * 64], seeds64[N * 32];
static int64_t offs[N + 1];

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*stage_fn)(void);
static uint8_t *scratch;
static size_t BS = 128;
static size_t scratch_len;
static uint8_t *arena;
static int32_t slots[N];

static void st_sha(void) {
    for (size_t i = 0; i < N; i++) {
        scalar k;
        ed25519_challenge(&k, sigs + 64 * i, keys + 32 * i, msgs + 32 * i, 32);
        __asm__ volatile("" ::"r"(&k) : "memory");
    }
}
static void st_challenges(void) {
    size_t idx[128];
    scalar ks[128];
    ed_batch_run run = {keys, sigs, msgs, rnd, NULL, offs, NULL, st, NULL, NULL, 0, 0, ed_path()};
    for (size_t b = 0; b < N; b += 128) {
        for (size_t j = 0; j < 128; j++) idx[j] = b + j;
        ed_batch_challenges(&run, idx, 128, ks);
        __asm__ volatile("" ::"r"(ks) : "memory");
    }
}
static void st_decode(void) {
    for (size_t b = 0; b < N; b += 64) {
        gej pts[64];
        gej *out[64];
        const uint8_t *enc[64];
        uint8_t ok[64];
        for (int j = 0; j < 64; j++) { enc[j] = sigs + 64 * (b + j); out[j] = &pts[j]; }
        ge_decode_many_var(out, ok, enc, 64, ed_path());
    }
}
/* A table of odd multiples of one point, N times, on either field. */
#define ED_TABLE_STAGE(NAME, TAB, BUILD)                  \
    static void NAME(void) {                              \
        gej P;                                            \
        gej_from_bytes_var(&P, sigs);                     \
        for (size_t i = 0; i < N; i++) {                  \
            TAB tab[ED_TAB_VAR];                          \
            BUILD(tab, &P, ED_TAB_VAR);                   \
            __asm__ volatile("" ::"r"(tab) : "memory");   \
        }                                                 \
    }
ED_TABLE_STAGE(st_table, ge_cached, gej_odd_multiples_cached)
static void st_batch_nocache(void) {
    lv_ed25519_verify_batch(keys, sigs, msgs, sizeof msgs, offs, rnd, N, BS, scratch, scratch_len, st);
}
static void st_batch_cache(void) {
    lv_ed25519_verify_batch_slots(keys, sigs, msgs, sizeof msgs, offs, rnd, N, BS, scratch, scratch_len, arena, N,
                                  slots, st);
}
static void st_batch_repeat64(void) {
    lv_ed25519_verify_batch_slots(keys64, sigs64, msgs, sizeof msgs, offs, rnd, N, BS, scratch, scratch_len,
                                  arena, N, slots, st);
}
static void st_batch_repeat64_nocache(void) {
    lv_ed25519_verify_batch(keys64, sigs64, msgs, sizeof msgs, offs, rnd, N, BS, scratch, scratch_len, st);
}
static void st_fill(void) {
    uint8_t ok[N];
    lv_ed25519_keyslots_fill(keys, N, arena, N, slots, ok);
}
static void st_single(void) { lv_ed25519_verify(keys, sigs, msgs, sizeof msgs, offs, N, st); }
static void st_wnaf(void) {
    for (size_t i = 0; i < N; i++) {
        scalar s;
        int8_t naf[ED_WNAF_LEN];
        sc_from_bytes32_reduce(&s, sigs + 64 * i + 32);
        wnaf_var(naf, &s, ED_W_VAR);
        __asm__ volatile("" ::"r"(naf) : "memory");
    }
}
static void st_fesq(void) {
    fe x;
    fe_frombytes(&x, sigs);
    for (int i = 0; i < N * 100; i++) fe_sq(&x, &x);
    __asm__ volatile("" ::"r"(&x) : "memory");
}
static void st_femul(void) {
    fe x, y;
    fe_frombytes(&x, sigs);
    fe_frombytes(&y, keys);
    for (int i = 0; i < N * 100; i++) fe_mul(&x, &x, &y);
    __asm__ volatile("" ::"r"(&x) : "memory");
}

#ifdef ED_HAVE_ADX
/* The 4x64 MULX field: dependent chains (latency) and four independent ones (throughput, as in the point
 * formulas' four products). */
/* Two field elements from the test data (a signature's R and a key) in 4x64 form. */
static void fe64_operands(fe64 *y, fe64 *z) {
    fe x;
    fe_frombytes(&x, sigs);
    fe64_from_fe(y, &x);
    fe_frombytes(&x, keys);
    fe64_from_fe(z, &x);
}
static void st_fe64sq(void) {
    fe64 y, z;
    fe64_operands(&y, &z);
    for (int i = 0; i < N * 100; i++) fe64_sq(&y, &y);
    __asm__ volatile("" ::"r"(&y) : "memory");
}
static void st_fe64mul(void) {
    fe64 y, z;
    fe64_operands(&y, &z);
    for (int i = 0; i < N * 100; i++) fe64_mul(&y, &y, &z);
    __asm__ volatile("" ::"r"(&y) : "memory");
}
static void st_fe64mul4(void) {
    fe x;
    fe64 y[4], z;
    fe_frombytes(&x, keys);
    fe64_from_fe(&z, &x);
    for (int j = 0; j < 4; j++) { fe_frombytes(&x, sigs + 32 * j); fe64_from_fe(&y[j], &x); }
    for (int i = 0; i < N * 25; i++)
        for (int j = 0; j < 4; j++) fe64_mul(&y[j], &y[j], &z);
    __asm__ volatile("" ::"r"(y) : "memory");
}
static void st_fe64add(void) {
    fe64 y, z;
    fe64_operands(&y, &z);
    for (int i = 0; i < N * 100; i++) { fe64_add(&y, &y, &z); fe64_sub(&y, &y, &z); fe64_add(&y, &y, &y); }
    __asm__ volatile("" ::"r"(&y) : "memory");
}
ED_TABLE_STAGE(st_table64, ge_cached64, gej64_odd_multiples_cached)
static void st_table64x2(void) {
    gej P[2];
    gej_from_bytes_var(&P[0], sigs);
    gej_from_bytes_var(&P[1], sigs + 64);
    const gej *pp[2] = {&P[0], &P[1]};
    for (size_t i = 0; i < N; i += 2) {
        ge_cached64 tab[2][ED_TAB_VAR];
        ge_cached64 *tp[2] = {tab[0], tab[1]};
        gej64_odd_multiples_cached_x2(tp, pp, ED_TAB_VAR);
        __asm__ volatile("" ::"r"(tab) : "memory");
    }
}
#endif
static void st_femul4(void) {
    fe y[4], z;
    fe_frombytes(&z, keys);
    for (int j = 0; j < 4; j++) fe_frombytes(&y[j], sigs + 32 * j);
    for (int i = 0; i < N * 25; i++)
        for (int j = 0; j < 4; j++) fe_mul(&y[j], &y[j], &z);
    __asm__ volatile("" ::"r"(y) : "memory");
}
static void st_feadd(void) {
    fe y, z;
    fe_frombytes(&y, sigs);
    fe_frombytes(&z, keys);
    for (int i = 0; i < N * 100; i++) { fe_add(&y, &y, &z); fe_sub(&y, &y, &z); fe_add(&y, &y, &y); }
    __asm__ volatile("" ::"r"(&y) : "memory");
}

static void run(const char *name, stage_fn f, double per) {
    double t[REPS];
    f();
    for (int r = 0; r < REPS; r++) {
        double a = now_ns();
        f();
        t[r] = (now_ns() - a) / per;
    }
    qsort(t, REPS, sizeof t[0], cmpd);
    printf("%-22s min %9.1f  median %9.1f ns\n", name, t[0], t[REPS / 2]);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "portable")) lv_cpu_set_mask(0);
    if (argc > 1 && !strcmp(argv[1], "avx2"))
        lv_cpu_set_mask(LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_BMI2 | LV_CPU_ADX | LV_CPU_SHA);
    if (argc > 1 && !strcmp(argv[1], "avx2-noadx")) lv_cpu_set_mask(LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_SHA);
    if (argc > 2) BS = (size_t)atoi(argv[2]);
    if (BS == 0 || BS > LV_ED25519_BATCH_MAX) return 2;
    uint64_t x = 0x243f6a8885a308d3ULL;   /* splitmix64: distinct seeds, messages and multipliers */
    for (int i = 0; i < N * 32; i++) { seeds[i] = (uint8_t)(splitmix(&x) >> 56); msgs[i] = (uint8_t)(splitmix(&x) >> 56); }
    for (int i = 0; i < N * 16; i++) rnd[i] = (uint8_t)(splitmix(&x) >> 56);
    for (int i = 0; i <= N; i++) offs[i] = 32 * i;
    lv_ed25519_pubkeys(seeds, N, keys);
    lv_ed25519_sign(seeds, msgs, sizeof msgs, offs, N, sigs);
    for (int i = 0; i < N * 32; i++) seeds64[i] = seeds[i % (64 * 32)];
    lv_ed25519_pubkeys(seeds64, N, keys64);
    lv_ed25519_sign(seeds64, msgs, sizeof msgs, offs, N, sigs64);
    scratch_len = lv_ed25519_batch_scratch_bytes(BS);
    scratch = malloc(scratch_len);
    arena = malloc((size_t)N * LV_ED25519_KEYSLOT_BYTES);
    uint8_t ok[N];
    for (int i = 0; i < N; i++) slots[i] = i;
    lv_ed25519_keyslots_fill(keys, N, arena, N, slots, ok);
    printf("path %d\n", lv_ed25519_best_path());
    run("fe_sq", st_fesq, N * 100.0);
    run("fe_mul", st_femul, N * 100.0);
    run("fe_mul x4 independent", st_femul4, N * 100.0);
    run("fe add+sub+add", st_feadd, N * 100.0);
#ifdef ED_HAVE_ADX
    run("fe64_sq", st_fe64sq, N * 100.0);
    run("fe64_mul", st_fe64mul, N * 100.0);
    run("fe64_mul x4 independent", st_fe64mul4, N * 100.0);
    run("fe64 add+sub+add", st_fe64add, N * 100.0);
    run("odd-multiples table 64", st_table64, N);
    run("odd-multiples table 64 x2", st_table64x2, N);
#endif
    run("sha512(R||A||M)", st_sha, N);
    run("challenges (path's)", st_challenges, N);
    run("decode", st_decode, N);
    run("wnaf w=5, 253 bits", st_wnaf, N);
    run("odd-multiples table", st_table, N);
    run("keyslots fill", st_fill, N);
    run("batch, keys cached", st_batch_cache, N);
    for (int i = 0; i < N; i++) if (!st[i]) { printf("FAIL %d\n", i); return 1; }
    run("batch, keys not cached", st_batch_nocache, N);
    for (int i = 0; i < N; i++) if (!st[i]) { printf("FAIL %d\n", i); return 1; }
    lv_ed25519_keyslots_fill(keys64, 64, arena, 64, slots, ok);
    for (int i = 0; i < N; i++) slots[i] = i % 64;
    run("batch, 64 keys, cached", st_batch_repeat64, N);
    for (int i = 0; i < N; i++) if (!st[i]) { printf("FAIL %d\n", i); return 1; }
    run("batch, 64 keys, no cache", st_batch_repeat64_nocache, N);
    for (int i = 0; i < N; i++) if (!st[i]) { printf("FAIL %d\n", i); return 1; }
    run("single", st_single, N);
    for (int i = 0; i < N; i++) if (!st[i]) { printf("FAIL %d\n", i); return 1; }
    return 0;
}
