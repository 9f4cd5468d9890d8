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
 * Measured (C microbenchmark, thread CPU time, loaded 2-core EPYC, ADX path): see wei3_ecmult_impl.h;
 * benches/wei3_stages.c times the stages.
 */
#ifndef LV_WEI3_KEYTAB_IMPL_H
#define LV_WEI3_KEYTAB_IMPL_H

#define W3_TTAB (1 << (W3_WT - 2))

_Static_assert(W3_SPLIT * W3_TTAB * sizeof(ge) == W3_KEYTAB_BYTES, "key table size");
_Static_assert(sizeof(ge) == 64, "ge is two packed field elements");

/* The key table of finite q: for j < W3_SPLIT, the odd multiples of 2^(W3_CHUNK j) q, affine, one
 * inversion for all of them.  About 100 KiB of stack (Jacobian points, scratch, the affine result): fine on
 * the 8 MiB thread stacks glibc gives Python's threads unless threading.stack_size() asks for less. */
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

/* The additions of ecmult_keytab_var in the order of its doubling chain: entry k of step i is
 * adds[first[i] + k], a table row (64-byte ge, any alignment) and whether to negate it. */
#define W3_KT_STEPS (W3_CHUNK + 1)
#define W3_KT_MAXADD (W3_WNAF_LEN / W3_WT + W3_WNAF_LEN / W3_WG + 2)
typedef struct { const uint8_t *row; int neg; } w3_kt_add;

/* Digit at position pos of a whole-scalar wNAF goes to chunk j = pos / W3_CHUNK (the last chunk also takes
 * position 256) at step pos - j W3_CHUNK.  Counting sort by step, so the chain finds its additions without
 * scanning 2 x 257 mostly zero digits (measured: 0.5 us of a 13 us ecmult). */
static void w3_kt_schedule(w3_kt_add *adds, int *first, const scalar *u1, const uint8_t *qtab_bytes,
                           const scalar *u2) {
    int16_t pos[2][W3_WNAF_LEN], dig[2][W3_WNAF_LEN];
    int cnt[2], fill[W3_KT_STEPS + 1] = {0};
    cnt[0] = scalar_wnaf_digits_var(pos[0], dig[0], u2, W3_WT);
    cnt[1] = scalar_wnaf_digits_var(pos[1], dig[1], u1, W3_WG);   /* no digits for a zero scalar */
    VERIFY_CHECK(cnt[0] + cnt[1] <= W3_KT_MAXADD);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < cnt[h]; k++) {
            int j = pos[h][k] / W3_CHUNK < W3_SPLIT ? pos[h][k] / W3_CHUNK : W3_SPLIT - 1;
            fill[pos[h][k] - j * W3_CHUNK + 1]++;
        }
    for (int i = 0; i < W3_KT_STEPS; i++) fill[i + 1] += fill[i];
    memcpy(first, fill, sizeof fill);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < cnt[h]; k++) {
            int p = pos[h][k], d = dig[h][k], j = p / W3_CHUNK < W3_SPLIT ? p / W3_CHUNK : W3_SPLIT - 1;
            int e = (d > 0 ? d - 1 : -d - 1) >> 1;
            w3_kt_add *a = &adds[fill[p - j * W3_CHUNK]++];
            a->row = h == 0 ? qtab_bytes + (size_t)(j * W3_TTAB + e) * sizeof(ge) : (const uint8_t *)&w3_gtabs[j][e];
            a->neg = d < 0;
        }
}

/* Prefetches the rows of step i (none for i < 0).  A key table is 32 KiB and a batch's tables rarely fit in
 * L2 (the bench's 1,024 keys hold 32 MiB), so without this every Q lookup waits on L3 or memory: measured
 * (C microbenchmark, 256 keys, 8 chunks) 16.5 -> 13.3 us per ecmult, as fast as with one table for all.  One step ahead suffices: a step (a doubling
 * and about two additions) outlasts a miss to memory. */
W3_INLINE void w3_kt_prefetch(const w3_kt_add *adds, const int *first, int i) {
    if (i < 0) return;
    for (int k = first[i]; k < first[i + 1]; k++) {
        __builtin_prefetch(adds[k].row);
        __builtin_prefetch(adds[k].row + sizeof(ge) - 1);   /* rows need not be 64-byte aligned */
    }
}

/* r = u1*G + u2*Q with Q given by its key table (bytes from keytab_build_var).  Requires
 * w3_ecmult_init().  One wNAF of each whole scalar (257 digits), its digit at position cj + i (c =
 * W3_CHUNK) added from table j at step i (the last chunk also takes position 256 at step c):
 * d 2^(cj+i) P = d 2^i (2^(cj) P).  Measured: 18.7 -> 17.5 us per ecmult against a separate wNAF per chunk,
 * whose top carries added about one digit per chunk. */
static void ecmult_keytab_var(gej *r, const scalar *u1, const uint8_t *qtab_bytes, const scalar *u2) {
    w3_kt_add adds[W3_KT_MAXADD];
    int first[W3_KT_STEPS + 1];
    w3_kt_schedule(adds, first, u1, qtab_bytes, u2);
    w3_kt_prefetch(adds, first, W3_CHUNK);
    w3_kt_prefetch(adds, first, W3_CHUNK - 1);
    gej_set_infinity(r);
    for (int i = W3_CHUNK; i >= 0; i--) {
        w3_kt_prefetch(adds, first, i - 2);
        gej_double_var(r, r);
        for (int k = first[i]; k < first[i + 1]; k++) {
            ge t;
            memcpy(&t, adds[k].row, sizeof t);
            if (adds[k].neg) fe_neg(&t.y, &t.y);
            gej_add_ge_var(r, r, &t);
        }
    }
}

#endif
