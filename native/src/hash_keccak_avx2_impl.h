/* Keccak-256 over 4 states at once with AVX2: lane j of each 256-bit vector is the 64-bit word of state j.
 * Rotations are shift pairs, except by 8 and 56 (a byte shuffle) and by 1 (an add for the left shift, to
 * spare the shift ports); chi uses andnot.  Where BMI2 is there too, a fifth state runs beside them in
 * general-purpose registers (see k1_round). */
#ifndef LV_HASH_KECCAK_AVX2_IMPL_H
#define LV_HASH_KECCAK_AVX2_IMPL_H
#if defined(__x86_64__)
#include "cpu.h"
#include "hash_lanes_avx2_impl.h"
#include "hash_keccak_impl.h"
#define TGT_AVX2_BMI2 __attribute__((target("avx2,bmi,bmi2")))

__attribute__((always_inline)) TGT_AVX2 static inline __m256i k4_rol(__m256i x, int n) {
    if (n == 0) return x;
    if (n == 8)
        return _mm256_shuffle_epi8(x, _mm256_set_epi8(14, 13, 12, 11, 10, 9, 8, 15, 6, 5, 4, 3, 2, 1, 0, 7,
                                                      14, 13, 12, 11, 10, 9, 8, 15, 6, 5, 4, 3, 2, 1, 0, 7));
    if (n == 56)
        return _mm256_shuffle_epi8(x, _mm256_set_epi8(8, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1,
                                                      8, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1));
    if (n == 1) return _mm256_or_si256(_mm256_add_epi64(x, x), _mm256_srli_epi64(x, 63));
    return _mm256_or_si256(_mm256_slli_epi64(x, n), _mm256_srli_epi64(x, 64 - n));
}

/* One round on 4 states: all 25 B words, then chi; a plane-by-plane variant with only 5 B live (fewer
 * spills) measured the same (94 ns a 64-byte message either way), so the simpler form stays.  One group of
 * 4 states is enough for the vector units: a round has 25 independent lanes, so unlike SHA-256/SM3 it is
 * not latency-bound but ALU-bound (about 175 vector ops a round). */
/* theta's column parities, folded: D[x] = C[x - 1] ^ rol(C[x + 1], 1). */
__attribute__((always_inline)) TGT_AVX2 static inline void k4_theta_d(const __m256i A[25], __m256i D[5]) {
    __m256i C[5];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++)
        C[x] = _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(A[x], A[x + 5]),
                                                 _mm256_xor_si256(A[x + 10], A[x + 15])), A[x + 20]);
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) D[x] = _mm256_xor_si256(C[(x + 4) % 5], k4_rol(C[(x + 1) % 5], 1));
}

__attribute__((always_inline)) TGT_AVX2 static inline void k4_round(__m256i A[25], uint64_t rc) {
    __m256i B[25], D[5];
    k4_theta_d(A, D);
    /* theta, then rho and pi: (x, y) moves to (y, 2x + 3y) */
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) {
        int x = i % 5, y = i / 5;
        B[y + 5 * ((2 * x + 3 * y) % 5)] = k4_rol(_mm256_xor_si256(A[i], D[x]), KECCAK_RHO[i]);
    }
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) {
        int x = i % 5, y5 = i - x;
        A[i] = _mm256_xor_si256(B[i], _mm256_andnot_si256(B[(x + 1) % 5 + y5], B[(x + 2) % 5 + y5]));
    }
    A[0] = _mm256_xor_si256(A[0], _mm256_set1_epi64x((long long)rc));
}

/* The last round when only the digest is read: words 0..3 come from B[0..4], which come from the diagonal
 * A[0], A[6], A[12], A[18], A[24] (pi sends (x, x) to (x, 0)). */
__attribute__((always_inline)) TGT_AVX2 static inline void k4_round_last(__m256i A[25], uint64_t rc) {
    __m256i B[5], D[5];
    k4_theta_d(A, D);
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) B[x] = k4_rol(_mm256_xor_si256(A[6 * x], D[x]), KECCAK_RHO[6 * x]);
#pragma GCC unroll 4
    for (int x = 0; x < 4; x++) A[x] = _mm256_xor_si256(B[x], _mm256_andnot_si256(B[x + 1], B[(x + 2) % 5]));
    A[0] = _mm256_xor_si256(A[0], _mm256_set1_epi64x((long long)rc));
}

/* The same two rounds on one state in 64-bit registers, for a fifth message beside the vector four: the
 * integer ALUs are separate from the vector ones (on Zen and on Intel cores), so with BMI2's rorx and BMI1's
 * andn the scalar permutation runs largely in the vector one's shadow (64-byte messages, AMD EPYC capped at
 * AVX2: 84 -> 76 ns a message).  Without BMI the scalar round needs flag-writing rotates, mov copies and
 * separate NOTs, and the pair is slower than the vector four alone (87 vs 84 ns), so it is never built so.
 * A second scalar state (six messages) spilled and took 107 ns. */
__attribute__((always_inline)) static inline void k1_theta_d(const uint64_t S[25], uint64_t D[5]) {
    uint64_t C[5];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) C[x] = S[x] ^ S[x + 5] ^ S[x + 10] ^ S[x + 15] ^ S[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) D[x] = C[(x + 4) % 5] ^ rol64(C[(x + 1) % 5], 1);
}
__attribute__((always_inline)) static inline void k1_round(uint64_t S[25], uint64_t rc) {
    uint64_t B[25], D[5];
    k1_theta_d(S, D);
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) {
        int x = i % 5, y = i / 5;
        B[y + 5 * ((2 * x + 3 * y) % 5)] = rol64(S[i] ^ D[x], KECCAK_RHO[i]);
    }
#pragma GCC unroll 25
    for (int i = 0; i < 25; i++) {
        int x = i % 5, y5 = i - x;
        S[i] = B[i] ^ (~B[(x + 1) % 5 + y5] & B[(x + 2) % 5 + y5]);
    }
    S[0] ^= rc;
}
__attribute__((always_inline)) static inline void k1_round_last(uint64_t S[25], uint64_t rc) {
    uint64_t B[5], D[5];
    k1_theta_d(S, D);
#pragma GCC unroll 5
    for (int x = 0; x < 5; x++) B[x] = rol64(S[6 * x] ^ D[x], KECCAK_RHO[6 * x]);
#pragma GCC unroll 4
    for (int x = 0; x < 4; x++) S[x] = B[x] ^ (~B[x + 1] & B[(x + 2) % 5]);
    S[0] ^= rc;
}

TGT_AVX2 static void keccak_x4_f1600(__m256i A[25]) {
    for (int r = 0; r < 24; r++) k4_round(A, KECCAK_RC[r]);
}
TGT_AVX2_BMI2 static void keccak_x5_f1600(__m256i A[25], uint64_t S[25]) {
    for (int r = 0; r < 24; r++) {
        k4_round(A, KECCAK_RC[r]);
        k1_round(S, KECCAK_RC[r]);
    }
}

/* r[k] <- 64-bit word k of every row: a 4x4 transpose (its own inverse). */
TGT_AVX2 static inline void k4_transpose(__m256i r[4]) {
    __m256i t0 = _mm256_unpacklo_epi64(r[0], r[1]), t1 = _mm256_unpackhi_epi64(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi64(r[2], r[3]), t3 = _mm256_unpackhi_epi64(r[2], r[3]);
    r[0] = _mm256_permute2x128_si256(t0, t2, 0x20); r[2] = _mm256_permute2x128_si256(t0, t2, 0x31);
    r[1] = _mm256_permute2x128_si256(t1, t3, 0x20); r[3] = _mm256_permute2x128_si256(t1, t3, 0x31);
}

/* A[w] ^= word w of 4 rows that start ``stride`` bytes apart, for w < nwords (a multiple of 4, or 17). */
TGT_AVX2 static inline void k4_absorb(__m256i A[25], const uint8_t *base, size_t stride, int nwords) {
    for (int w = 0; w + 4 <= nwords; w += 4) {
        __m256i r[4];
        for (int j = 0; j < 4; j++) r[j] = _mm256_loadu_si256((const __m256i *)(base + stride * j + 8 * w));
        k4_transpose(r);
        for (int k = 0; k < 4; k++) A[w + k] = _mm256_xor_si256(A[w + k], r[k]);
    }
    if (nwords % 4) {
        const uint8_t *p = base + 8 * (nwords - 1);
        int w = nwords - 1;
        __m256i v = _mm256_set_epi64x((long long)rd_le64(p + 3 * stride), (long long)rd_le64(p + 2 * stride),
                                      (long long)rd_le64(p + stride), (long long)rd_le64(p));
        A[w] = _mm256_xor_si256(A[w], v);
    }
}

/* Lane scheduler callbacks, 4 vector lanes and, with BMI2, a fifth scalar one: state [25 words][5 lanes]
 * (lanes 0..3 are one unaligned vector load, lane 4 the word after), blocks [5 lanes][MB_MAX_BLOCK]. */
#define K5_STRIDE 5
TGT_AVX2 static void keccak_x4_mb_compress(void *state, const uint8_t *blocks) {
    uint64_t *st = (uint64_t *)state;
    __m256i A[25];
    for (int w = 0; w < 25; w++) A[w] = _mm256_loadu_si256((const __m256i *)(st + K5_STRIDE * w));
    k4_absorb(A, blocks, MB_MAX_BLOCK, KECCAK_RATE / 8);
    keccak_x4_f1600(A);
    for (int w = 0; w < 25; w++) _mm256_storeu_si256((__m256i *)(st + K5_STRIDE * w), A[w]);
}
TGT_AVX2_BMI2 static void keccak_x5_mb_compress(void *state, const uint8_t *blocks) {
    uint64_t *st = (uint64_t *)state;
    __m256i A[25];
    uint64_t S[25];
    for (int w = 0; w < 25; w++) A[w] = _mm256_loadu_si256((const __m256i *)(st + K5_STRIDE * w));
    k4_absorb(A, blocks, MB_MAX_BLOCK, KECCAK_RATE / 8);
    for (int w = 0; w < 25; w++) S[w] = st[K5_STRIDE * w + 4];
    for (int w = 0; w < KECCAK_RATE / 8; w++) S[w] ^= rd_le64(blocks + 4 * MB_MAX_BLOCK + 8 * w);
    keccak_x5_f1600(A, S);
    for (int w = 0; w < 25; w++) _mm256_storeu_si256((__m256i *)(st + K5_STRIDE * w), A[w]);
    for (int w = 0; w < 25; w++) st[K5_STRIDE * w + 4] = S[w];
}
static void keccak_x5_mb_reset(void *state, int j) {
    for (int w = 0; w < 25; w++) ((uint64_t *)state)[K5_STRIDE * w + j] = 0;
}
static void keccak_x5_mb_digest(const void *state, int j, uint8_t *out) {
    for (int w = 0; w < 4; w++) wr_le64(out + 8 * w, ((const uint64_t *)state)[K5_STRIDE * w + j]);
}

static int keccak_avx2_has_bmi2(void) { return (lv_cpu_features() & LV_CPU_BMI2) != 0; }

static void keccak256_spans_avx2(const uint8_t *buf, const int64_t *off, size_t n, uint8_t *out) {
    mb_algo A = {4, 1, 0, keccak_x4_mb_compress, keccak_x5_mb_reset, keccak_x5_mb_digest};
    if (keccak_avx2_has_bmi2()) { A.lanes = 5; A.compress = keccak_x5_mb_compress; }
    uint64_t state[25 * K5_STRIDE] __attribute__((aligned(32)));
    uint8_t blocks[5 * MB_MAX_BLOCK] __attribute__((aligned(32)));
    mb_run(&A, state, blocks, buf, off, n, out);
}

/* 64-byte messages: one block, whose padding words are constants (0x01 at byte 64, 0x80 at byte 135); the
 * first round is peeled so that the compiler folds the 15 zero words, and the last computes only the digest
 * (84 -> 81 ns a message for the vector four alone). */
TGT_AVX2 static inline void k4_load_64(__m256i A[25], const uint8_t *base) {
    for (int w = 0; w < 25; w++) A[w] = _mm256_setzero_si256();
    k4_absorb(A, base, 64, 8);
    A[8] = _mm256_set1_epi64x(0x01);
    A[16] = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
}
static inline void k1_load_64(uint64_t S[25], const uint8_t *p) {
    for (int w = 0; w < 25; w++) S[w] = 0;
    for (int w = 0; w < 8; w++) S[w] = rd_le64(p + 8 * w);
    S[8] = 0x01;
    S[16] = 0x8000000000000000ULL;
}
TGT_AVX2 static inline void k4_store_digests(const __m256i A[25], uint8_t *out, size_t cnt) {
    __m256i r[4] = {A[0], A[1], A[2], A[3]};
    k4_transpose(r);
    for (size_t j = 0; j < cnt; j++) _mm256_storeu_si256((__m256i *)(out + 32 * j), r[j]);
}

TGT_AVX2 static void keccak256_64_x4(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[4 * 64];
    for (size_t i = 0; i < n; i += 4) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 4, 64, tail, &cnt);
        __m256i A[25];
        k4_load_64(A, base);
        k4_round(A, KECCAK_RC[0]);
        for (int r = 1; r < 23; r++) k4_round(A, KECCAK_RC[r]);
        k4_round_last(A, KECCAK_RC[23]);
        k4_store_digests(A, out + 32 * i, cnt);
    }
}

TGT_AVX2_BMI2 static void keccak256_64_x5(const uint8_t *in, size_t n, uint8_t *out) {
    uint8_t tail[5 * 64];
    for (size_t i = 0; i < n; i += 5) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 5, 64, tail, &cnt);
        __m256i A[25];
        uint64_t S[25];
        k4_load_64(A, base);
        k1_load_64(S, base + 4 * 64);
        k4_round(A, KECCAK_RC[0]);
        k1_round(S, KECCAK_RC[0]);
        for (int r = 1; r < 23; r++) {
            k4_round(A, KECCAK_RC[r]);
            k1_round(S, KECCAK_RC[r]);
        }
        k4_round_last(A, KECCAK_RC[23]);
        k1_round_last(S, KECCAK_RC[23]);
        k4_store_digests(A, out + 32 * i, cnt < 4 ? cnt : 4);
        if (cnt == 5)
            for (int w = 0; w < 4; w++) wr_le64(out + 32 * (i + 4) + 8 * w, S[w]);
    }
}

static void keccak256_64_avx2(const uint8_t *in, size_t n, uint8_t *out) {
    if (keccak_avx2_has_bmi2()) keccak256_64_x5(in, n, out);
    else keccak256_64_x4(in, n, out);
}
#endif
#endif
