/* RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), portable: Bitcoin's HASH160 is RIPEMD-160(SHA-256(x)),
 * one compression of a 32-byte message per public key, so a scalar version is all the adapter needs.
 * Little-endian throughout: message words, the bit length in the padding, and the digest. */
#ifndef LV_HASH_RIPEMD160_IMPL_H
#define LV_HASH_RIPEMD160_IMPL_H
#include "hash_common_impl.h"

/* word order (r, r') and rotations (s, s') of the left and right lines, 80 steps each */
static const uint8_t RMD_RL[80] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12, 1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13};
static const uint8_t RMD_RR[80] = {
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13, 8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11};
static const uint8_t RMD_SL[80] = {
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, 7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5, 11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6};
static const uint8_t RMD_SR[80] = {
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, 9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5, 15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11};
static const uint32_t RMD_KL[5] = {0x00000000u, 0x5A827999u, 0x6ED9EBA1u, 0x8F1BBCDCu, 0xA953FD4Eu};
static const uint32_t RMD_KR[5] = {0x50A28BE6u, 0x5C4DD124u, 0x6D703EF3u, 0x7A6D76E9u, 0x00000000u};
static const uint32_t RMD_IV[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};

/* the five boolean functions; the right line runs them in reverse order (round r uses 4 - r) */
static inline uint32_t rmd_f(int round, uint32_t x, uint32_t y, uint32_t z) {
    switch (round) {
    case 0: return x ^ y ^ z;
    case 1: return (x & y) | (~x & z);
    case 2: return (x | ~y) ^ z;
    case 3: return (x & z) | (y & ~z);
    default: return x ^ (y | ~z);
    }
}

static inline uint32_t rd_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void rmd160_compress(uint32_t h[5], const uint8_t blk[64]) {
    uint32_t X[16];
    for (int i = 0; i < 16; i++) X[i] = rd_le32(blk + 4 * i);
    uint32_t al = h[0], bl = h[1], cl = h[2], dl = h[3], el = h[4];
    uint32_t ar = al, br = bl, cr = cl, dr = dl, er = el;
    /* unrolled, so that the word indices, rotations, constants and the choice of f fold into each step */
#if defined(__clang__)
#pragma clang loop unroll(full)
#elif defined(__GNUC__)
#pragma GCC unroll 80
#endif
    for (int j = 0; j < 80; j++) {
        int r = j >> 4;
        uint32_t t = rol32(al + rmd_f(r, bl, cl, dl) + X[RMD_RL[j]] + RMD_KL[r], RMD_SL[j]) + el;
        al = el; el = dl; dl = rol32(cl, 10); cl = bl; bl = t;
        t = rol32(ar + rmd_f(4 - r, br, cr, dr) + X[RMD_RR[j]] + RMD_KR[r], RMD_SR[j]) + er;
        ar = er; er = dr; dr = rol32(cr, 10); cr = br; br = t;
    }
    uint32_t t = h[1] + cl + dr;
    h[1] = h[2] + dl + er;
    h[2] = h[3] + el + ar;
    h[3] = h[4] + al + br;
    h[4] = h[0] + bl + cr;
    h[0] = t;
}

static void rmd160_one(const uint8_t *p, uint64_t len, uint8_t out[20]) {
    uint32_t h[5];
    uint8_t blk[64];
    memcpy(h, RMD_IV, sizeof(h));
    uint64_t nb = md_nblocks(len);  /* the same block count as SHA-256's padding */
    for (uint64_t k = 0; k < nb; k++) {
        uint64_t off = 64 * k;
        if (off + 64 <= len) { rmd160_compress(h, p + off); continue; }
        memset(blk, 0, 64);
        if (off < len) memcpy(blk, p + off, (size_t)(len - off));
        if (off <= len) blk[len - off] = 0x80;
        if (k + 1 == nb) wr_le64(blk + 56, len * 8);
        rmd160_compress(h, blk);
    }
    for (int i = 0; i < 5; i++)
        for (int b = 0; b < 4; b++) out[4 * i + b] = (uint8_t)(h[i] >> (8 * b));
}

#endif
