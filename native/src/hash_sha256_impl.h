/* SHA-256 (FIPS 180-4): portable scalar code, the precomputed padding schedule of 64-byte messages. */
#ifndef LV_HASH_SHA256_IMPL_H
#define LV_HASH_SHA256_IMPL_H
#include "hash_common_impl.h"

static const uint32_t SHA256_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
static const uint32_t SHA256_IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* K[t] + W[t] for the padding block of a 64-byte message (0x80, zeros, bit length 512): the second block
 * of every Merkle interior node, so its schedule is a constant (computed with sha256_schedule; the tests
 * compare the 64-byte path with hashlib, which checks these numbers). */
static const uint32_t SHA256_KW64[64] = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
    0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
    0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
    0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
    0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
    0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76};

static void sha256_schedule(uint32_t W[64]) {
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ror32(W[t - 15], 7) ^ ror32(W[t - 15], 18) ^ (W[t - 15] >> 3);
        uint32_t s1 = ror32(W[t - 2], 17) ^ ror32(W[t - 2], 19) ^ (W[t - 2] >> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1;
    }
}

/* 64 rounds with K[t] + W[t] given. */
static void sha256_rounds_kw(uint32_t s[8], const uint32_t KW[64]) {
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int t = 0; t < 64; t++) {
        uint32_t S1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + S1 + ch + KW[t];
        uint32_t S0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + S0 + maj;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

static void sha256_compress_words(uint32_t s[8], uint32_t W[64]) {
    sha256_schedule(W);
    for (int t = 0; t < 64; t++) W[t] += SHA256_K[t];
    sha256_rounds_kw(s, W);
}

static void sha256_compress(uint32_t s[8], const uint8_t blk[64]) {
    uint32_t W[64];
    for (int t = 0; t < 16; t++) W[t] = rd_be32(blk + 4 * t);
    sha256_compress_words(s, W);
}

static void sha256_digest_words(const uint32_t s[8], uint8_t *out) {
    for (int i = 0; i < 8; i++) wr_be32(out + 4 * i, s[i]);
}

/* Second pass of SHA-256d: the 32-byte first digest (as words) is one padded block. */
static void sha256_second(uint32_t s[8]) {
    uint32_t W[64] = {0};
    for (int i = 0; i < 8; i++) W[i] = s[i];
    W[8] = 0x80000000u;
    W[15] = 256;
    memcpy(s, SHA256_IV, sizeof(SHA256_IV));
    sha256_compress_words(s, W);
}

static void sha256_one(const uint8_t *p, uint64_t len, int dbl, uint8_t *out) {
    uint32_t s[8];
    uint8_t blk[64];
    memcpy(s, SHA256_IV, sizeof(s));
    uint64_t nb = md_nblocks(len);
    for (uint64_t k = 0; k < nb; k++) {
        if ((k + 1) * 64 <= len) sha256_compress(s, p + 64 * k);
        else { md_block(blk, p, len, k); sha256_compress(s, blk); }
    }
    if (dbl) sha256_second(s);
    sha256_digest_words(s, out);
}

static void sha256_spans_portable(const uint8_t *buf, const int64_t *off, size_t n, int dbl, uint8_t *out) {
    for (size_t i = 0; i < n; i++) sha256_one(buf + off[i], (uint64_t)(off[i + 1] - off[i]), dbl, out + 32 * i);
}

static void sha256_64_portable(const uint8_t *in, size_t n, int dbl, uint8_t *out) {
    for (size_t i = 0; i < n; i++) {
        uint32_t s[8];
        memcpy(s, SHA256_IV, sizeof(s));
        sha256_compress(s, in + 64 * i);
        sha256_rounds_kw(s, SHA256_KW64);
        if (dbl) sha256_second(s);
        sha256_digest_words(s, out + 32 * i);
    }
}
#endif
