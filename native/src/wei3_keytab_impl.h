/* Per-key precomputation and the split joint multiplication that uses it (variable time, public data).
 *
 * A scalar u < 2^256 is cut into W3_SPLIT chunks of W3_CHUNK bits, u = sum_j c_j 2^(W3_CHUNK j), so
 * u*P = sum_j c_j (2^(W3_CHUNK j) P): with odd multiples of every P_j = 2^(W3_CHUNK j) P at hand, one
 * shared doubling chain of W3_CHUNK + 1 steps serves all 2*W3_SPLIT chunk wNAFs (instead of 256
 * doublings).  The additions stay the same in number (one per non-zero digit, about 256/(w+1) per
 * scalar), and every table point is affine, so they are mixed additions.
 *   G: static tables, width W3_WG, built once (w3_gtabs[0] is the table of G the plain path uses).
 *   Q: a key table (W3_SPLIT * W3_TTAB affine points, LV_W3_KEYTAB_BYTES bytes) that the caller builds
 *      once per key with keytab_build_var and keeps (native/_wei3.py caches them in numpy buffers);
 *      its bytes are opaque, read with memcpy (no alignment needed), and only produced by this module.
 * Measured (C microbenchmark, thread CPU time, loaded 2-core EPYC, ADX path): see wei3_ecmult_impl.h.
 */
#ifndef LV_WEI3_KEYTAB_IMPL_H
#define LV_WEI3_KEYTAB_IMPL_H

#define W3_TTAB (1 << (W3_WT - 2))

_Static_assert(W3_SPLIT * W3_TTAB * sizeof(ge) == W3_KEYTAB_BYTES, "key table size");
_Static_assert(sizeof(ge) == 64, "ge is two packed field elements");

/* The key table of finite q: for j < W3_SPLIT, the odd multiples of 2^(W3_CHUNK j) q, affine, one
 * inversion for all of them. */
static void keytab_build_var(uint8_t *out, const ge *q) {
    gej jt[W3_SPLIT * W3_TTAB], pj;
    fe scratch[W3_SPLIT * W3_TTAB];
    ge aff[W3_SPLIT * W3_TTAB];
    gej_set_ge(&pj, q);
    for (int j = 0; j < W3_SPLIT; j++) {
        w3_odd_multiples_var(&jt[j * W3_TTAB], &pj, W3_TTAB);
        if (j + 1 < W3_SPLIT) for (int k = 0; k < W3_CHUNK; k++) gej_double_var(&pj, &pj);
    }
    ge_set_all_gej_var(aff, jt, scratch, W3_SPLIT * W3_TTAB);
    memcpy(out, aff, sizeof aff);
}

/* r = u1*G + u2*Q with Q given by its key table (bytes from keytab_build_var).  Requires
 * w3_ecmult_init().  One wNAF of each whole scalar (257 digits), its digit at position 32j + i added from
 * table j at step i (chunk 7 also takes position 256 at step 32): d 2^(32j+i) P = d 2^i (2^(32j) P).
 * Measured: 18.7 -> 17.5 us per ecmult against a separate wNAF per chunk, whose top carries added about
 * one digit per chunk. */
static void ecmult_keytab_var(gej *r, const scalar *u1, const uint8_t *qtab_bytes, const scalar *u2) {
    int16_t wg[W3_WNAF_LEN], wq[W3_WNAF_LEN];
    scalar_wnaf_var(wg, u1, W3_WG);   /* all zero digits for a zero scalar */
    scalar_wnaf_var(wq, u2, W3_WT);
    gej_set_infinity(r);
    for (int i = W3_CHUNK; i >= 0; i--) {
        gej_double_var(r, r);
        for (int j = 0; j < W3_SPLIT; j++) {
            int pos = j * W3_CHUNK + i;
            if (i == W3_CHUNK && j != W3_SPLIT - 1) continue;   /* that position is chunk j+1's step 0 */
            int d = wq[pos];
            if (d) {
                ge t;
                int k = (d > 0 ? d - 1 : -d - 1) >> 1;
                memcpy(&t, qtab_bytes + (size_t)(j * W3_TTAB + k) * sizeof(ge), sizeof t);
                if (d < 0) fe_neg(&t.y, &t.y);
                gej_add_ge_var(r, r, &t);
            }
            d = wg[pos];
            if (d) w3_add_digit_var(r, w3_gtabs[j], d);
        }
    }
}

#endif
