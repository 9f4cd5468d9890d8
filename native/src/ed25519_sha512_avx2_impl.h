/* SHA-512 of four messages at once on AVX2 (one message per 64-bit lane), for the batch verifier's
 * challenges k = SHA-512(R || A || M) wherever the CPU has AVX2 (the IFMA8, ADX and AVX2 paths): the
 * rounds are the portable ones (ed25519_sha512_impl.h) on four lanes; AVX2 has no 64-bit rotation, so
 * each is two shifts and an or.
 * The four messages must pad to the same number of blocks (the caller groups them; others take the
 * portable code). */
#ifndef LV_ED25519_SHA512_AVX2_IMPL_H
#define LV_ED25519_SHA512_AVX2_IMPL_H

#ifdef ED_HAVE_AVX2

#define ED_SHA_X4_MAX_BLOCKS 4   /* R || A || M of up to 431 bytes of M; longer messages hash one by one */

ED_AVX2_INLINE __m256i sha512x4_rotr(__m256i x, int n) {
    return _mm256_or_si256(_mm256_srli_epi64(x, n), _mm256_slli_epi64(x, 64 - n));
}

/* Word i (big-endian) of the current block of each lane. */
ED_AVX2_INLINE __m256i sha512x4_load(const uint8_t *const blk[4], int i) {
    const __m256i bswap = _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
                                           7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    uint64_t w[4];
    for (int j = 0; j < 4; j++) memcpy(&w[j], blk[j] + 8 * i, 8);
    return _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(const void *)w), bswap);
}

ED_AVX2 static void sha512x4_compress(__m256i h[8], const uint8_t *const blk[4]) {
    __m256i w[16], s[8];
    for (int i = 0; i < 16; i++) w[i] = sha512x4_load(blk, i);
    for (int i = 0; i < 8; i++) s[i] = h[i];
    for (int i = 0; i < 80; i++) {
        __m256i wi = w[i & 15];
        if (i >= 16) {
            __m256i w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
            __m256i s0 = _mm256_xor_si256(_mm256_xor_si256(sha512x4_rotr(w15, 1), sha512x4_rotr(w15, 8)),
                                          _mm256_srli_epi64(w15, 7));
            __m256i s1 = _mm256_xor_si256(_mm256_xor_si256(sha512x4_rotr(w2, 19), sha512x4_rotr(w2, 61)),
                                          _mm256_srli_epi64(w2, 6));
            wi = _mm256_add_epi64(_mm256_add_epi64(w[i & 15], s0), _mm256_add_epi64(w[(i - 7) & 15], s1));
            w[i & 15] = wi;
        }
        __m256i e = s[4], a = s[0];
        __m256i S1 = _mm256_xor_si256(_mm256_xor_si256(sha512x4_rotr(e, 14), sha512x4_rotr(e, 18)),
                                      sha512x4_rotr(e, 41));
        __m256i ch = _mm256_xor_si256(_mm256_and_si256(e, s[5]), _mm256_andnot_si256(e, s[6]));
        __m256i t1 = _mm256_add_epi64(_mm256_add_epi64(s[7], S1),
                                      _mm256_add_epi64(_mm256_add_epi64(ch, _mm256_set1_epi64x((long long)SHA512_K[i])), wi));
        __m256i S0 = _mm256_xor_si256(_mm256_xor_si256(sha512x4_rotr(a, 28), sha512x4_rotr(a, 34)),
                                      sha512x4_rotr(a, 39));
        __m256i maj = _mm256_or_si256(_mm256_and_si256(a, s[1]), _mm256_and_si256(s[2], _mm256_or_si256(a, s[1])));
        s[7] = s[6]; s[6] = s[5]; s[5] = s[4];
        s[4] = _mm256_add_epi64(s[3], t1);
        s[3] = s[2]; s[2] = s[1]; s[1] = s[0];
        s[0] = _mm256_add_epi64(t1, _mm256_add_epi64(S0, maj));
    }
    for (int i = 0; i < 8; i++) h[i] = _mm256_add_epi64(h[i], s[i]);
}

/* The padded blocks of R || A || M (FIPS 180-4 5.1.2) into buf; returns their count, or 0 when there are
 * more than ED_SHA_X4_MAX_BLOCKS. */
static size_t sha512_pad_challenge(uint8_t buf[128 * ED_SHA_X4_MAX_BLOCKS], const uint8_t R[32], const uint8_t A[32],
                                   const uint8_t *m, size_t mlen) {
    size_t len = 64 + mlen, nb = (len + 17 + 127) / 128;
    if (nb > ED_SHA_X4_MAX_BLOCKS) return 0;
    memcpy(buf, R, 32);
    memcpy(buf + 32, A, 32);
    if (mlen) memcpy(buf + 64, m, mlen);
    memset(buf + len, 0, 128 * nb - len);
    buf[len] = 0x80;
    sha512_store_be(buf + 128 * nb - 8, (uint64_t)len << 3);
    return nb;
}

/* out[j] = SHA-512 of the nb padded blocks at msg[j], j < 4. */
ED_AVX2 static void sha512x4_blocks(uint8_t out[4][64], const uint8_t *const msg[4], size_t nb) {
    static const uint64_t iv[8] = {
        0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
        0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
    };
    __m256i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi64x((long long)iv[i]);
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *blk[4];
        for (int j = 0; j < 4; j++) blk[j] = msg[j] + 128 * b;
        sha512x4_compress(h, blk);
    }
    for (int i = 0; i < 8; i++) {
        uint64_t v[4];
        _mm256_storeu_si256((__m256i *)(void *)v, h[i]);
        for (int j = 0; j < 4; j++) sha512_store_be(out[j] + 8 * i, v[j]);
    }
}

#endif
#endif
