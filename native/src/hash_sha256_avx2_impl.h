/* SHA-256 over 16 messages at once with AVX2, as two groups of 8 lanes (lane j of a group's vectors belongs
 * to one message), for CPUs without SHA-NI; the AVX-512 x16 kernel's round structure, with rotations as
 * shift pairs. */
#ifndef LV_HASH_SHA256_AVX2_IMPL_H
#define LV_HASH_SHA256_AVX2_IMPL_H
#if defined(__x86_64__)
#include "hash_lanes_avx2_impl.h"
#include "hash_sha256_impl.h"

/* Sigma0/Sigma1 as one XOR of three right shifts and three left shifts each (a rotation pair shares
 * nothing, so this is as short as it gets without a rotate instruction). */
#define X8_BIGS0(a) V8_XOR(V8_XOR(V8_ROR(a, 2), V8_ROR(a, 13)), V8_ROR(a, 22))
#define X8_BIGS1(e) V8_XOR(V8_XOR(V8_ROR(e, 6), V8_ROR(e, 11)), V8_ROR(e, 25))
#define X8_SMALLS0(x) V8_XOR(V8_XOR(V8_ROR(x, 7), V8_ROR(x, 18)), _mm256_srli_epi32(x, 3))
#define X8_SMALLS1(x) V8_XOR(V8_XOR(V8_ROR(x, 17), V8_ROR(x, 19)), _mm256_srli_epi32(x, 10))
/* Ch = g ^ (e & (f ^ g)); Maj = b ^ ((a ^ b) & (b ^ c)), where b ^ c is the previous round's a ^ b: the
 * caller passes it in ``bc`` and gets this round's a ^ b back in ``ab`` (3 operations instead of 4).
 * Summing t1 as ((h + kw) + ch) + Sigma1(e), to shorten the path from e, was slower: 68-74 -> 94-97 ns a
 * 64-byte message (2026-12-03, kernel microbench, best of 25); the compiler scheduled the two groups worse. */
#define X8_ROUND(a, b, c, d, e, f, g, h, kw, bc, ab)                                               \
    do {                                                                                           \
        __m256i ch_ = V8_XOR(g, V8_AND(e, V8_XOR(f, g)));                                          \
        __m256i t1_ = V8_ADD(V8_ADD(h, X8_BIGS1(e)), V8_ADD(ch_, (kw)));                           \
        ab = V8_XOR(a, b);                                                                         \
        __m256i t2_ = V8_ADD(X8_BIGS0(a), V8_XOR(b, V8_AND(ab, bc)));                              \
        d = V8_ADD(d, t1_);                                                                        \
        h = V8_ADD(t1_, t2_);                                                                      \
    } while (0)
/* One round on both groups (see hash_lanes_avx2_impl.h); KW(g, t) is group g's K[t] + W[t].  A 17th message
 * in scalar registers, one scalar round beside each vector round (its schedule computed first, BMI2 rorx),
 * as the AVX2 Keccak does with a fifth state, was slower here: 70 -> 82 ns a 64-byte message (2026-12-03;
 * the two vector groups already fill the issue slots that Keccak's single group leaves to the integer ALUs).
 * One group of 8 alone (its state and temporaries fit the 16 ymm registers; two groups spill) was not faster
 * either: 74-75 vs 71-72 ns a 64-byte message, SHA-256d 115-116 vs 114-116 (2026-12-03, a C harness over
 * hash.c built with the module's flags, thread CPU time, best of 40 over 8,192 messages, 3 runs, load 8;
 * without -fPIC -fwrapv the two groups fell to 93 ns while one group held 76: the compiler's scheduling of
 * the spills, not the algorithm, sets the speed here). */
#define X8X2_ROUND(a, b, c, d, e, f, g, h, KW, t, P, Q)                                            \
    do {                                                                                           \
        for (int g_ = 0; g_ < 2; g_++)                                                             \
            X8_ROUND(a[g_], b[g_], c[g_], d[g_], e[g_], f[g_], g[g_], h[g_], KW(g_, t), P[g_], Q[g_]);\
    } while (0)
#define X8X2_ROUNDS8(KW, t)                                                                        \
    X8X2_ROUND(a, b, c, d, e, f, g, h, KW, (t) + 0, bc, ab);                                       \
    X8X2_ROUND(h, a, b, c, d, e, f, g, KW, (t) + 1, ab, bc);                                       \
    X8X2_ROUND(g, h, a, b, c, d, e, f, KW, (t) + 2, bc, ab);                                       \
    X8X2_ROUND(f, g, h, a, b, c, d, e, KW, (t) + 3, ab, bc);                                       \
    X8X2_ROUND(e, f, g, h, a, b, c, d, KW, (t) + 4, bc, ab);                                       \
    X8X2_ROUND(d, e, f, g, h, a, b, c, KW, (t) + 5, ab, bc);                                       \
    X8X2_ROUND(c, d, e, f, g, h, a, b, KW, (t) + 6, bc, ab);                                       \
    X8X2_ROUND(b, c, d, e, f, g, h, a, KW, (t) + 7, ab, bc)

TGT_AVX2 static inline __m256i x8_sched(__m256i *W, int t) {
    if (t >= 16)
        W[t & 15] = V8_ADD(V8_ADD(W[t & 15], X8_SMALLS0(W[(t + 1) & 15])),
                           V8_ADD(W[(t + 9) & 15], X8_SMALLS1(W[(t + 14) & 15])));
    return V8_ADD(W[t & 15], V8_SET1(SHA256_K[t]));
}

/* 64 rounds on both groups, then the feed-forward into s0 and s1.  The rounds run as a rolled loop of 8
 * (the register roles come back every 8 rounds; the schedule's window index t & 15 and K[t] are read at
 * run time): fully unrolled, one block on both groups was ~7,800 instructions (~45 KB), past the 32 KB L1i
 * and the op cache, and ran at ~3 instructions a cycle.  Rolled: 64-byte messages 69-70 -> 56-58 ns,
 * SHA-256d 112-117 -> 88-91 (16 rounds a pass: 59 and 90-94; 2026-12-04, AMD EPYC Zen 4, AVX2 path forced
 * with SHA-NI masked, a C harness over two builds of hash.c with the module's flags, thread CPU time, A/B
 * interleaved, best of 40 over 8,192 messages). */
#define X8X2_COMPRESS(KW)                                                                          \
    do {                                                                                           \
        __m256i a[2] = {s0[0], s1[0]}, b[2] = {s0[1], s1[1]}, c[2] = {s0[2], s1[2]};               \
        __m256i d[2] = {s0[3], s1[3]}, e[2] = {s0[4], s1[4]}, f[2] = {s0[5], s1[5]};               \
        __m256i g[2] = {s0[6], s1[6]}, h[2] = {s0[7], s1[7]};                                      \
        __m256i bc[2] = {V8_XOR(b[0], c[0]), V8_XOR(b[1], c[1])}, ab[2];                           \
        _Pragma("GCC unroll 1") for (int t = 0; t < 64; t += 8) { X8X2_ROUNDS8(KW, t); }           \
        __m256i *ss_[2] = {s0, s1};                                                                \
        for (int q_ = 0; q_ < 2; q_++) {                                                           \
            __m256i *s = ss_[q_];                                                                  \
            s[0] = V8_ADD(s[0], a[q_]); s[1] = V8_ADD(s[1], b[q_]); s[2] = V8_ADD(s[2], c[q_]);    \
            s[3] = V8_ADD(s[3], d[q_]); s[4] = V8_ADD(s[4], e[q_]); s[5] = V8_ADD(s[5], f[q_]);    \
            s[6] = V8_ADD(s[6], g[q_]); s[7] = V8_ADD(s[7], h[q_]);                                \
        }                                                                                          \
    } while (0)

/* s_g += rounds(s_g, W_g); W0/W1 (16 words each, big-endian values already) are consumed as schedules. */
TGT_AVX2 static void sha256_x8x2_compress_w(__m256i s0[8], __m256i s1[8], __m256i W0[16], __m256i W1[16]) {
    __m256i *Ws[2] = {W0, W1};
#define KW_SCHED(q, t) x8_sched(Ws[q], t)
    X8X2_COMPRESS(KW_SCHED);
#undef KW_SCHED
}

/* The constant padding block of 64-byte messages: no schedule, K+W broadcast from SHA256_KW64. */
TGT_AVX2 static void sha256_x8x2_compress_pad64(__m256i s0[8], __m256i s1[8]) {
#define KW_CONST(q, t) V8_SET1(SHA256_KW64[t])
    X8X2_COMPRESS(KW_CONST);
#undef KW_CONST
}

TGT_AVX2 static void sha256_x8_iv(__m256i s[8]) {
    for (int i = 0; i < 8; i++) s[i] = V8_SET1(SHA256_IV[i]);
}

/* SHA-256d's second block: the first digest words are W[0..7] of a 32-byte message. */
TGT_AVX2 static void sha256_x8_second_words(__m256i W[16], __m256i s[8]) {
    for (int i = 0; i < 8; i++) W[i] = s[i];
    W[8] = V8_SET1(0x80000000u);
    for (int i = 9; i < 15; i++) W[i] = _mm256_setzero_si256();
    W[15] = V8_SET1(256);
    sha256_x8_iv(s);
}

TGT_AVX2 static void sha256_64_avx2(const uint8_t *in, size_t n, int dbl, uint8_t *out) {
    uint8_t tail[16 * 64];
    for (size_t i = 0; i < n; i += 16) {
        size_t cnt;
        const uint8_t *base = lanes_group(in, i, n, 16, 64, tail, &cnt);
        __m256i s0[8], s1[8], W0[16], W1[16];
        sha256_x8_iv(s0);
        sha256_x8_iv(s1);
        x8_load_blocks(W0, base, 64);
        x8_load_blocks(W1, base + 8 * 64, 64);
        sha256_x8x2_compress_w(s0, s1, W0, W1);
        sha256_x8x2_compress_pad64(s0, s1);
        if (dbl) {
            sha256_x8_second_words(W0, s0);
            sha256_x8_second_words(W1, s1);
            sha256_x8x2_compress_w(s0, s1, W0, W1);
        }
        x8x2_store_digests(s0, s1, out + 32 * i, cnt);
    }
}

/* The lane scheduler's view: state [8 words][16 lanes], blocks [16 lanes][MB_MAX_BLOCK]. */
TGT_AVX2 static void sha256_x8x2_mb_compress(void *state, const uint8_t *blocks) {
    __m256i s0[8], s1[8], W0[16], W1[16];
    x8x2_state_load(state, s0, s1);
    x8_load_blocks(W0, blocks, MB_MAX_BLOCK);
    x8_load_blocks(W1, blocks + 8 * MB_MAX_BLOCK, MB_MAX_BLOCK);
    sha256_x8x2_compress_w(s0, s1, W0, W1);
    x8x2_state_store(state, s0, s1);
}
static void sha256_x8x2_mb_reset(void *state, int j) { mb16_set(state, j, SHA256_IV); }

static void sha256_spans_avx2(const uint8_t *buf, const int64_t *off, size_t n, int dbl, uint8_t *out) {
    mb_algo A = {16, 0, dbl, sha256_x8x2_mb_compress, sha256_x8x2_mb_reset, mb16_digest};
    uint32_t state[8 * 16] __attribute__((aligned(32)));
    uint8_t blocks[16 * MB_MAX_BLOCK] __attribute__((aligned(32)));
    mb_run(&A, state, blocks, buf, off, n, out);
}
#endif
#endif
