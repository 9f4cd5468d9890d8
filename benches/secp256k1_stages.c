/* Stage costs of the secp256k1 kernels at the C entry points, timed by thread CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so load from other processes on a shared machine moves the figures much less
 * than wall clock does.  Medians over REPS repetitions; the paths of one stage are timed side by side.
 * Not part of the module: it includes the translation unit to reach the static layers.
 *
 *   gcc -O3 -std=gnu11 -fno-strict-aliasing -Wno-unused-function -Inative/src benches/secp256k1_stages.c \
 *       native/src/cpu.c -lpthread -o /tmp/k1_stages
 *   /tmp/k1_stages [KEYS]   (KEYS distinct keys signing in turn, default 64; 512 = every key once)
 *
 * The CPU mask is the AVX2 tier's (SSE41, AVX2, BMI2, ADX, SHA: PATH_ADX) and, for the "5x52" lines, the
 * same without BMI2/ADX (PATH_SCALAR).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "secp256k1.c"
#include "cpu.h"

#define N 512
#define REPS 15
#define AVX2_TIER (LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_BMI2 | LV_CPU_ADX | LV_CPU_SHA)
#define AVX2_NOADX (LV_CPU_SSE41 | LV_CPU_AVX2 | LV_CPU_SHA)

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double median(double *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) { double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
    return v[n / 2];
}

#define STAGE(label, per, body)                                                                            \
    do {                                                                                                   \
        double v_[REPS];                                                                                   \
        for (int r_ = 0; r_ < REPS; r_++) {                                                                \
            double t0_ = now_ns();                                                                         \
            body;                                                                                          \
            v_[r_] = (now_ns() - t0_) / (per);                                                             \
        }                                                                                                  \
        printf("%-34s %10.1f ns\n", label, median(v_, REPS));                                              \
    } while (0)

static uint8_t privs[N * 32], nonces[N * 32], digs[N * 32], sigs[N * 64], keys[N * 65], lens[N], st[N];
static int32_t slots[N];
static k1_group grp;

int main(int argc, char **argv) {
    int keys_n = argc > 1 ? atoi(argv[1]) : 64;
    uint8_t out33[N * 33], ok[N], *arena;
    int32_t fill[N];
    if (keys_n < 1 || keys_n > N) keys_n = 64;
    lv_cpu_set_mask(AVX2_TIER);
    for (int i = 0; i < N * 32; i++) {
        privs[i] = (uint8_t)rng();
        nonces[i] = (uint8_t)rng();
        digs[i] = (uint8_t)rng();
    }
    for (int i = 0; i < N; i++) {
        privs[32 * i] = (privs[32 * i] & 0x7f) | 1;   /* below n */
        nonces[32 * i] = (nonces[32 * i] & 0x7f) | 1;
        memcpy(privs + 32 * i, privs + 32 * (i % keys_n), 32);
    }
    lv_secp256k1_pubkeys(privs, N, out33, st);
    lv_secp256k1_sign(privs, digs, nonces, N, sigs, st);
    for (int i = 0; i < N; i++) {
        memset(keys + 65 * i, 0, 65);
        memcpy(keys + 65 * i, out33 + 33 * i, 33);
        lens[i] = 33;
        slots[i] = i % keys_n;
        fill[i] = i;
    }
    arena = calloc((size_t)keys_n, LV_SECP256K1_KEYSLOT_BYTES);
    if (!arena) return 1;
    lv_secp256k1_keyslots_fill(keys, lens, (size_t)keys_n, arena, (size_t)keys_n, fill, ok);
    ecmult_init_split();
    printf("path %d (0 scalar, 1 ifma8, 2 adx), %d keys in turn, %d signatures\n", lv_secp256k1_best_path(),
           keys_n, N);

    fe a, b, c;
    fe4 a4, b4;
    fe_set_b32(&a, digs); fe_normalize(&a);
    fe_set_b32(&b, digs + 32); fe_normalize(&b);
    fe_to_storage((fe_storage *)&a4, &a);
    fe_to_storage((fe_storage *)&b4, &b);
    STAGE("fe_mul 5x52 (dependent)", 100000, for (int i = 0; i < 100000; i++) fe_mul(&a, &a, &b));
    STAGE("fe4_mul 4x64 MULX/ADX (dependent)", 100000, for (int i = 0; i < 100000; i++) fe4_mul(&a4, &a4, &b4));
    STAGE("fe_sqr 5x52", 100000, for (int i = 0; i < 100000; i++) fe_sqr(&a, &a));
    STAGE("fe4_sqr 4x64", 100000, for (int i = 0; i < 100000; i++) fe4_sqr(&a4, &a4));
    fe_normalize(&a);
    STAGE("square root 5x52", 100, for (int i = 0; i < 100; i++) fe_sqrt_var(&c, &a));
    STAGE("square root 4x64", 100, for (int i = 0; i < 100; i++) fe_sqrt_adx(&c, &a));

    static scalar na[N], ng[N], inv[K1_GROUP];
    int o;
    for (int i = 0; i < N; i++) {
        scalar_set_b32(&na[i], sigs + 64 * i, &o);
        scalar_set_b32(&ng[i], digs + 32 * i, &o);
    }
    STAGE("scalar inversion (group of 32, /item)", 32 * 8,
          for (int k = 0; k < 8; k++) scalar_inv_all_var(inv, na, 32));
    for (int j = 0; j < K1_GROUP; j++) k1_pubkey_parse_var(&grp.pts[j], keys + 65 * j, 33);
    STAGE("window tables 5x52 (group, /key)", K1_GROUP * 4,
          for (int k = 0; k < 4; k++) k1_cold_tables(&grp, 0, K1_GROUP, 0));
    STAGE("window tables 4x64 (group, /key)", K1_GROUP * 4,
          for (int k = 0; k < 4; k++) k1_cold_tables(&grp, 0, K1_GROUP, 1));
    gej R;
    for (int j = 0; j < K1_GROUP; j++) { grp.na[j] = na[j]; grp.ng[j] = ng[j]; }
    STAGE("cold chain 5x52", K1_GROUP,
          for (int j = 0; j < K1_GROUP; j++) k1_ecmult_cold(&R, &grp, (size_t)j, 0));
    STAGE("cold chain 4x64", K1_GROUP,
          for (int j = 0; j < K1_GROUP; j++) k1_ecmult_cold(&R, &grp, (size_t)j, 1));
#define TAB(i) (arena + (size_t)((i) % keys_n) * LV_SECP256K1_KEYSLOT_BYTES + K1_SLOT_TAB)
    STAGE("split chain 5x52", N, for (int i = 0; i < N; i++) ecmult_split_var(&R, TAB(i), &na[i], &ng[i]));
    STAGE("split chain 4x64", N, for (int i = 0; i < N; i++) ecmult_split_adx(&R, TAB(i), &na[i], &ng[i]));

    lv_cpu_set_mask(AVX2_NOADX);
    STAGE("verify, keys decoded (5x52)", N, lv_secp256k1_verify(keys, lens, digs, sigs, N, 0, st));
    STAGE("verify_slots, key tables (5x52)", N,
          lv_secp256k1_verify_slots(keys, lens, digs, sigs, N, 0, arena, (size_t)keys_n, slots, st));
    lv_cpu_set_mask(AVX2_TIER);
    STAGE("verify, keys decoded (ADX)", N, lv_secp256k1_verify(keys, lens, digs, sigs, N, 0, st));
    int good = 0;
    for (int i = 0; i < N; i++) good += st[i];
    STAGE("verify_slots, key tables (ADX)", N,
          lv_secp256k1_verify_slots(keys, lens, digs, sigs, N, 0, arena, (size_t)keys_n, slots, st));
    for (int i = 0; i < N; i++) good += st[i];
    printf("valid: %d of %d\n", good, 2 * N);
    free(arena);
    return good == 2 * N ? 0 : 1;
}
