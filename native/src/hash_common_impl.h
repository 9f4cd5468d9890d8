/* Shared pieces of the hash kernels: byte order, padding, and the multi-buffer lane scheduler. */
#ifndef LV_HASH_COMMON_IMPL_H
#define LV_HASH_COMMON_IMPL_H
#include <string.h>
#include <stdint.h>
#include <stddef.h>

static inline uint32_t rd_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wr_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint64_t rd_le64(const uint8_t *p) {
    uint64_t v; memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline void wr_le64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}
static inline uint32_t rol32(uint32_t x, int n) { n &= 31; return n ? (x << n) | (x >> (32 - n)) : x; }
static inline uint32_t ror32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
static inline uint64_t rol64(uint64_t x, int n) { return n ? (x << n) | (x >> (64 - n)) : x; }

/* SHA-256 and SM3 share Merkle-Damgard padding: 0x80, zeros, the 64-bit big-endian bit length. */
static inline uint64_t md_nblocks(uint64_t len) { return (len + 8) / 64 + 1; }

/* Copies block k (< md_nblocks(len)) of the padded message into dst[64]. */
static inline void md_block(uint8_t *dst, const uint8_t *p, uint64_t len, uint64_t k) {
    uint64_t off = k * 64;
    if (off + 64 <= len) { memcpy(dst, p + off, 64); return; }
    memset(dst, 0, 64);
    if (off < len) memcpy(dst, p + off, (size_t)(len - off));
    if (off <= len) dst[len - off] = 0x80;
    if (k + 1 == md_nblocks(len)) {
        uint64_t bits = len * 8;
        for (int i = 0; i < 8; i++) dst[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    }
}

/* Keccak-256 (original padding 0x01 ... 0x80, rate 136 bytes). */
#define KECCAK_RATE 136
static inline uint64_t kk_nblocks(uint64_t len) { return len / KECCAK_RATE + 1; }
static inline void kk_block(uint8_t *dst, const uint8_t *p, uint64_t len, uint64_t k) {
    uint64_t off = k * KECCAK_RATE;
    if (k + 1 < kk_nblocks(len)) { memcpy(dst, p + off, KECCAK_RATE); return; }
    memset(dst, 0, KECCAK_RATE);
    if (len > off) memcpy(dst, p + off, (size_t)(len - off));
    dst[len - off] ^= 0x01;
    dst[KECCAK_RATE - 1] ^= 0x80;
}

/* Fixed-size messages of ``width`` bytes, ``lanes`` at a time straight from the input (i: the first of the
 * group); a last group of fewer is copied into ``tail`` (lanes * width bytes) and zero-filled, so that no
 * whole-group load reads past the caller's array.  *cnt: the real messages in the group. */
static inline const uint8_t *lanes_group(const uint8_t *in, size_t i, size_t n, size_t lanes, size_t width,
                                         uint8_t *tail, size_t *cnt) {
    *cnt = n - i < lanes ? n - i : lanes;
    if (*cnt == lanes) return in + width * i;
    memset(tail, 0, width * lanes);
    memcpy(tail, in + width * i, width * *cnt);
    return tail;
}

/* The lane scheduler of every multi-buffer kernel.  Each lane works through one message block by block;
 * when a message ends, its digest is written and the lane takes the next message, so lanes stay busy when
 * lengths differ.  Compression runs on all lanes at once; a lane with no message left computes on stale
 * data that nobody reads.  SHA-256d runs its second pass in the same lane, over the 32-byte first digest. */
#define MB_MAX_LANES 16
#define MB_MAX_BLOCK 144  /* >= 136, a multiple of 8 and 16 */

typedef struct {
    int lanes;           /* 16 for SHA-256/SM3, 8 for Keccak */
    int keccak;          /* 0: MD padding, 64-byte blocks, 8x32-bit state; 1: Keccak */
    int dbl;             /* SHA-256d */
    /* compress all lanes: state layout [word][lane]; blocks [lane][MB_MAX_BLOCK] */
    void (*compress)(void *state, const uint8_t *blocks);
    /* reset lane j to the initial state */
    void (*reset)(void *state, int j);
    /* write lane j's 32-byte digest */
    void (*digest)(const void *state, int j, uint8_t *out);
} mb_algo;

/* The 16-lane state layout of the SHA-256 and SM3 kernels, [8 words][16 lanes]: set lane j to ``iv``,
 * and write lane j's 32-byte big-endian digest. */
static void mb16_set(void *state, int j, const uint32_t iv[8]) {
    for (int i = 0; i < 8; i++) ((uint32_t *)state)[16 * i + j] = iv[i];
}
static void mb16_digest(const void *state, int j, uint8_t *out) {
    for (int i = 0; i < 8; i++) wr_be32(out + 4 * i, ((const uint32_t *)state)[16 * i + j]);
}

typedef struct {
    const uint8_t *p;
    uint64_t len, k, nblk;
    size_t idx;
    int stage, live;
} mb_lane;

static void mb_run(const mb_algo *A, void *state, uint8_t *blocks, const uint8_t *buf, const int64_t *offsets,
                   size_t n, uint8_t *out) {
    mb_lane L[MB_MAX_LANES];
    uint8_t second[MB_MAX_LANES][32];
    size_t next = 0;
    int live = 0;
    memset(blocks, 0, (size_t)A->lanes * MB_MAX_BLOCK);
    for (int j = 0; j < A->lanes; j++) {
        L[j].live = 0;
        A->reset(state, j);
    }
    for (int j = 0; j < A->lanes && next < n; j++, next++) {
        L[j].p = buf + offsets[next];
        L[j].len = (uint64_t)(offsets[next + 1] - offsets[next]);
        L[j].k = 0;
        L[j].nblk = A->keccak ? kk_nblocks(L[j].len) : md_nblocks(L[j].len);
        L[j].idx = next;
        L[j].stage = 0;
        L[j].live = 1;
        live++;
    }
    while (live) {
        for (int j = 0; j < A->lanes; j++) {
            if (!L[j].live) continue;
            if (A->keccak) kk_block(blocks + j * MB_MAX_BLOCK, L[j].p, L[j].len, L[j].k);
            else md_block(blocks + j * MB_MAX_BLOCK, L[j].p, L[j].len, L[j].k);
        }
        A->compress(state, blocks);
        for (int j = 0; j < A->lanes; j++) {
            if (!L[j].live || ++L[j].k < L[j].nblk) continue;
            if (A->dbl && L[j].stage == 0) {
                A->digest(state, j, second[j]);
                A->reset(state, j);
                L[j].p = second[j]; L[j].len = 32; L[j].k = 0; L[j].nblk = 1; L[j].stage = 1;
                continue;
            }
            A->digest(state, j, out + 32 * L[j].idx);
            A->reset(state, j);
            if (next < n) {
                L[j].p = buf + offsets[next];
                L[j].len = (uint64_t)(offsets[next + 1] - offsets[next]);
                L[j].k = 0;
                L[j].nblk = A->keccak ? kk_nblocks(L[j].len) : md_nblocks(L[j].len);
                L[j].idx = next++;
                L[j].stage = 0;
            } else {
                L[j].live = 0;
                live--;
            }
        }
    }
}
#endif
