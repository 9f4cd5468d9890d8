/* 8-lane verification over per-key tables with AVX-512 IFMA (the a = -3 curves): the path of a key seen
 * again where W3_PATH_IFMA8 is the best path.  The 4x64 paths keep wei3_keytab_impl.h's tables.
 *
 * The split of wei3_keytab_impl.h in the lanes' form: a scalar u (made < 2^255 by taking n - u and
 * negating the lane's digits when bit 255 is set) is recoded into signed fixed windows (w3v_recode),
 * and the digit d at bit position p = c W3K_L + i is added as d 2^i (2^(W3K_L c) P) at step i of one
 * shared chain of W3K_L - 1 doublings.  The windows sit at the same positions in every lane, so every
 * lane adds at the same steps (zero digits masked); each lane gathers its own key's entries.
 *   Q: a key table per key (W3K_KEYTAB_BYTES, opaque to Python): the key itself in 4x64 form (for the
 *      scalar fallback), then for each chunk c the multiples 1..W3K_EQ of 2^(W3K_L c) Q, affine, in the
 *      lanes' form (five 52-bit limbs of x, then of y, Montgomery R' = 2^260).  Built 8 keys at a time
 *      in the lanes with two lane inversions (keytab8_build8), or in 4x64 code with one inversion per key
 *      below the IFMA tier (keytab8_build_var), for tests and callers that build ahead.
 *   G: static tables of the same shape, width W3K_WG (W3K_GTAB_BYTES, built once).
 * Exceptional lanes (H = 0 in an addition, or an infinite result) are recomputed on the scalar path as
 * in wei3_ifma_impl.h.
 * Measured (C entry, thread CPU time per verification, 256 compressed keys with tables, one core of the
 * 2-core EPYC at load average 5-6, 2026-12-03): P-256 5.6 us (min 5.3) against 9.4-9.6 for the same
 * items on the first-sighting lanes and 18.4 on the 4x64 key tables (10.7 after wei3-avx2's 32 KiB
 * tables, so the order at the IFMA tier stays lane tables, first-sighting lanes, 4x64 tables); SM2 5.4-5.6
 * against 10.0 and 18.3 (10.7).
 * A table costs about 23 us to build in the lanes (77 us in 4x64 code: 224 doublings, 120 additions, one
 * inversion), so it pays back after about 6 verifications under its key.
 * perf: the window additions' gathers (w3v_add_window, 24%) weigh as much as the additions' arithmetic
 * (gej8_add_ge, 24%); the 31 doublings are 6%. */
#ifndef LV_WEI3_IFMA_KEYTAB_IMPL_H
#define LV_WEI3_IFMA_KEYTAB_IMPL_H
#ifdef W3V_OK

/* Chunk length and count: W3K_C * W3K_L >= 256 covers every digit position of a scalar < 2^255.
 * Widths: Q's windows W3K_WQ (2^(W3K_WQ-1) entries per chunk), G's W3K_WG.  Measured (same C entry,
 * interleaved variants, 21-41 runs, medians / minimums in us, load average 7-8, so about +-5% noise):
 *   chunk bits (chunks)   32 (8)  7.24/5.52   16 (16) 7.48/5.63   26 (10) 7.30/5.53   43 (6) 7.45/5.66
 *                         64 (4)  7.15/6.03   (Q 5, G 8)
 *   Q width (bytes a key) 4 (5,184) 7.26/5.56   5 (10,304) 7.24/5.52   6 (20,544) 7.26/5.91
 *   G width (static)      7 (40 KiB) 7.25/5.62   8 (80 KiB) 7.24/5.52   9 (160 KiB) 7.73/5.69
 *                         10 (320 KiB) 7.80/5.92
 * all within the noise but the widest G tables (they leave L1 and crowd L2); 8 chunks, Q 5, G 8 kept:
 * 10,304 bytes a key, W3K_GTAB_BYTES = 81,920 a curve (L2 is 1 MiB a core). */
#ifndef W3K_L
#define W3K_L 32
#endif
#ifndef W3K_WQ
#define W3K_WQ 5
#endif
#ifndef W3K_WG
#define W3K_WG 8
#endif
#define W3K_C ((256 + W3K_L - 1) / W3K_L)
#define W3K_EQ (1 << (W3K_WQ - 1))
#define W3K_EG (1 << (W3K_WG - 1))
#define W3K_NQ ((256 + W3K_WQ - 1) / W3K_WQ)
#define W3K_NG ((256 + W3K_WG - 1) / W3K_WG)
#define W3K_HDR ((int)sizeof(ge))                  /* the key in 4x64 form */
#define W3K_KEYTAB_BYTES (W3K_HDR + W3K_C * W3K_EQ * 80)
#define W3K_GTAB_BYTES (W3K_C * W3K_EG * 80)

_Static_assert(W3K_HDR % 8 == 0 && W3K_KEYTAB_BYTES % 8 == 0, "entries are whole words");
_Static_assert(W3K_NQ * W3K_WQ >= 256 && W3K_NG * W3K_WG >= 256, "windows cover 256 bits");

static uint64_t w3k_gtab[W3K_C][W3K_EG][10];   /* [chunk][d - 1][x0..x4 y0..y4] */
static pthread_once_t w3k_once = PTHREAD_ONCE_INIT;

/* out[c][k-1] = k 2^(W3K_L c) P in the lanes' form, c < W3K_C, k <= e; jt and aff are scratch of
 * W3K_C * e points (e <= W3K_EG).  One inversion for all of them. */
static void w3k_chunk_multiples(uint64_t *out, const ge *p, int e, gej *jt, ge *aff, fe *scratch) {
    gej pj;
    gej_set_ge(&pj, p);
    for (int c = 0; c < W3K_C; c++) {
        gej *t = jt + c * e;
        t[0] = pj;
        gej_double_var(&t[1], &pj);
        for (int k = 2; k < e; k++) gej_add_var(&t[k], &t[k - 1], &pj);   /* k P + P, k < n: no doubling */
        if (c + 1 < W3K_C) for (int s = 0; s < W3K_L; s++) gej_double_var(&pj, &pj);
    }
    ge_set_all_gej_var(aff, jt, scratch, W3K_C * e);
    for (int i = 0; i < W3K_C * e; i++) {
        w3v_fe_to52(out + 10 * i, &aff[i].x);
        w3v_fe_to52(out + 10 * i + 5, &aff[i].y);
    }
}

static void w3k_gbuild(void) {
    static gej jt[W3K_C * W3K_EG];   /* once, under pthread_once: not on the stack */
    static ge aff[W3K_C * W3K_EG];
    static fe scratch[W3K_C * W3K_EG];
    w3k_chunk_multiples(&w3k_gtab[0][0][0], &W3_GE_G, W3K_EG, jt, aff, scratch);
}

/* 1 when the lanes' key-table path can run now (its static tables then built).  Requires
 * w3_ecmult_init(). */
static int w3k_available(void) {
    if (!w3v_available()) return 0;
    pthread_once(&w3k_once, w3k_gbuild);
    return 1;
}

/* The key table of finite q (W3K_KEYTAB_BYTES at out, any alignment).  Needs no AVX-512: built wherever
 * this file is compiled, after w3_ecmult_init(). */
static void keytab8_build_var(uint8_t *out, const ge *q) {
    gej jt[W3K_C * W3K_EQ];
    ge aff[W3K_C * W3K_EQ];
    fe scratch[W3K_C * W3K_EQ];
    uint64_t ent[W3K_C * W3K_EQ * 10];
    pthread_once(&w3v_once, w3v_build);   /* the lane constants w3v_fe_to52 uses */
    w3k_chunk_multiples(ent, q, W3K_EQ, jt, aff, scratch);
    memcpy(out, q, W3K_HDR);
    memcpy(out + W3K_HDR, ent, sizeof ent);
}

/* Affine forms of n Jacobian lane points E (finite) into (ax, ay), one lane inversion for all of them
 * (Montgomery's trick; P is n fe8 of scratch). */
W3V_TARGET static void w3k_affine8(fe8 *ax, fe8 *ay, const gej8 *E, fe8 *P, int n) {
    fe8 inv, zi, zi2;
    P[0] = E[0].z;
    for (int i = 1; i < n; i++) fe8_mul(&P[i], &P[i - 1], &E[i].z);
    fe8_inv(&inv, &P[n - 1]);
    for (int i = n - 1; i >= 0; i--) {
        if (i > 0) {
            fe8_mul(&zi, &inv, &P[i - 1]);
            fe8_mul(&inv, &inv, &E[i].z);
        } else {
            zi = inv;
        }
        fe8_sqr(&zi2, &zi);
        fe8_mul(&ax[i], &E[i].x, &zi2);
        fe8_mul(&zi2, &zi2, &zi);
        fe8_mul(&ay[i], &E[i].y, &zi2);
    }
}

/* Lane i's limbs of the n points (x[e], y[e]) into its table rows[i] (entries after the header). */
W3V_TARGET static void w3k_store_lanes(uint8_t *const *rows, const fe8 *x, const fe8 *y, int n) {
    uint64_t l[10][8] __attribute__((aligned(64)));
    for (int e = 0; e < n; e++) {
        for (int k = 0; k < 5; k++) {
            _mm512_store_si512((void *)l[k], x[e].v[k]);
            _mm512_store_si512((void *)l[5 + k], y[e].v[k]);
        }
        for (int i = 0; i < 8; i++) {
            uint64_t ent[10];
            for (int k = 0; k < 10; k++) ent[k] = l[k][i];
            memcpy(rows[i] + W3K_HDR + 80 * e, ent, sizeof ent);
        }
    }
}

/* keytab8_build_var for 8 finite keys at once in the lanes (rows[i] for q[i]): the chunk bases made affine
 * with one lane inversion, their multiples by mixed additions (k P + P, 2 <= k < 16: never exceptional),
 * then all entries affine with a second one.  Measured: see W3K_L's comment. */
W3V_TARGET static void keytab8_build8(uint8_t *const *rows, const ge *const *q) {
    static __thread gej8 E[W3K_C * W3K_EQ];   /* 120 KiB: off the stack */
    static __thread fe8 P[W3K_C * W3K_EQ], ax[W3K_C * W3K_EQ], ay[W3K_C * W3K_EQ];
    uint64_t l[2][5][8] __attribute__((aligned(64)));
    fe8 one;
    gej8 b;
    __mmask8 inf = 0, exc = 0;
    for (int k = 0; k < 5; k++) one.v[k] = W3V_SET1(w3v_one52[k]);
    for (int i = 0; i < 8; i++) {
        uint64_t t[5];
        w3v_fe_to52(t, &q[i]->x);
        for (int k = 0; k < 5; k++) l[0][k][i] = t[k];
        w3v_fe_to52(t, &q[i]->y);
        for (int k = 0; k < 5; k++) l[1][k][i] = t[k];
        memcpy(rows[i], q[i], W3K_HDR);
    }
    fe8_load_lanes(&b.x, l[0]);
    fe8_load_lanes(&b.y, l[1]);
    b.z = one;
    for (int c = 0; c < W3K_C; c++) {   /* E[c] = 2^(W3K_L c) Q, Jacobian */
        if (c) for (int s = 0; s < W3K_L; s++) gej8_double(&b);
        E[c] = b;
    }
    w3k_affine8(ax, ay, E, P, W3K_C);
    for (int c = 0; c < W3K_C; c++) {   /* the bases are in (ax, ay) now: E is free for the entries */
        gej8 *t = E + c * W3K_EQ;
        const fe8 bx = ax[c], by = ay[c];
        t[0].x = bx;
        t[0].y = by;
        t[0].z = one;
        t[1] = t[0];
        gej8_double(&t[1]);
        for (int k = 2; k < W3K_EQ; k++) {
            t[k] = t[k - 1];
            gej8_add_ge(&t[k], &bx, &by, 0xFF, &inf, &exc, &one);
        }
    }
    VERIFY_CHECK(!exc);
    w3k_affine8(ax, ay, E, P, W3K_C * W3K_EQ);
    w3k_store_lanes(rows, ax, ay, W3K_C * W3K_EQ);
}

/* Lane key tables of n SEC1 keys (as W3_API(keytab8)): 8 decoded keys at a time in the lanes where the
 * IFMA path is available, else keytab8_build_var per key (the same tables up to the representation of
 * the limbs, which the lanes' field does not reduce). */
static void keytab8_rows(const uint8_t *keys, const uint8_t *key_lens, size_t n, uint8_t *tabs, uint8_t *status) {
    uint8_t *rows[8];
    const ge *qp[8];
    ge q[8];
    int m = 0, lanes = w3v_available();
    static __thread uint8_t pad[W3K_KEYTAB_BYTES];   /* the rows of padding lanes */
    for (size_t i = 0; i < n; i++) {
        uint8_t *row = tabs + (size_t)W3K_KEYTAB_BYTES * i;
        status[i] = (uint8_t)ge_parse_sec1_var(&q[m], keys + 65 * i, key_lens[i]);
        if (!status[i]) {
            memset(row, 0, W3K_KEYTAB_BYTES);
        } else if (!lanes) {
            keytab8_build_var(row, &q[m]);
        } else {
            rows[m++] = row;
        }
        if (m == 8 || (i == n - 1 && m)) {
            for (int j = 0; j < 8; j++) qp[j] = &q[j < m ? j : 0];
            for (int j = m; j < 8; j++) rows[j] = pad;
            keytab8_build8(rows, qp);
            m = 0;
        }
    }
}

/* d[j][lane] = the signed width-w digits of u (nwin of them), through n - u with negated digits when
 * u >= 2^255, so that the top window never carries. */
static void w3k_recode_lane(int (*d)[8], int lane, const scalar *u, int w, int nwin) {
    scalar k = *u, zero = {{0, 0, 0, 0}};
    int t[256], neg = (int)(k.v[3] >> 63);
    if (neg) scalar_sub(&k, &zero, &k);
    w3v_recode(t, &k, w, nwin);
    for (int j = 0; j < nwin; j++) d[j][lane] = neg ? -t[j] : t[j];
}

/* out[i] = u1[i] G + u2[i] Q_i for 8 lanes, lane i's key table at word offset off[i] of tabs.  Returns
 * the lanes to recompute on the scalar path, as w3v_ecmult. */
W3V_TARGET static unsigned w3k_ecmult8(gej *out, const long long *tabs, const int64_t *off, const scalar *u1,
                                        const scalar *u2) {
    int dq[W3K_NQ][8], dg[W3K_NG][8];
    fe8 one;
    __mmask8 exc = 0, inf = 0xFF;
    gej8 acc;
    for (int k = 0; k < 5; k++) one.v[k] = W3V_SET1(w3v_one52[k]);
    for (int i = 0; i < 8; i++) {
        w3k_recode_lane(dq, i, &u2[i], W3K_WQ, W3K_NQ);
        w3k_recode_lane(dg, i, &u1[i], W3K_WG, W3K_NG);
    }
    for (int k = 0; k < 5; k++) acc.x.v[k] = acc.y.v[k] = acc.z.v[k] = _mm512_setzero_si512();
    const __m512i lanes = _mm512_add_epi64(_mm512_loadu_si512((const void *)off), W3V_SET1(W3K_HDR / 8));
    for (int i = W3K_L - 1; i >= 0; i--) {
        if (inf != 0xFF) gej8_double(&acc);
        for (int c = 0; c < W3K_C; c++) {
            int p = c * W3K_L + i;
            if (p % W3K_WQ == 0 && p / W3K_WQ < W3K_NQ)
                w3v_add_window(&acc, dq[p / W3K_WQ], tabs, 10, _mm512_add_epi64(lanes, W3V_SET1(c * W3K_EQ * 10)),
                               &inf, &exc, &one);
            if (p % W3K_WG == 0 && p / W3K_WG < W3K_NG)
                w3v_add_window(&acc, dg[p / W3K_WG], (const long long *)&w3k_gtab[c][0][0], 10,
                               _mm512_setzero_si512(), &inf, &exc, &one);
        }
    }
    return w3v_ecmult_finish(out, &acc, exc | inf);
}

/* res[j] = 1 when x(u1 G + u2 Q_j) = c (mod n) for m <= 8 items, Q_j's key table row rows[j] of tabs
 * (W3K_KEYTAB_BYTES each).  Requires w3k_available(). */
W3V_TARGET static void w3k_verify8(const uint8_t *tabs, const int32_t *rows, const scalar *u1, const scalar *u2,
                                   const scalar *c, int m, uint8_t *res) {
    int64_t off[8];
    scalar a[8], b[8];
    gej r[8];
    VERIFY_CHECK(m >= 1 && m <= 8);
    for (int i = 0; i < 8; i++) {
        int s = i < m ? i : 0;   /* padding lanes repeat item 0 */
        off[i] = (int64_t)rows[s] * (W3K_KEYTAB_BYTES / 8);
        a[i] = u1[s];
        b[i] = u2[s];
    }
    unsigned exc = w3k_ecmult8(r, (const long long *)tabs, off, a, b);
    for (int i = 0; i < m; i++) {
        if ((exc >> i & 1) || fe_is_zero(&r[i].z)) {   /* X = Z = 0 would pass the comparison: never */
            ge q;
            memcpy(&q, tabs + (size_t)rows[i] * W3K_KEYTAB_BYTES, sizeof q);
            ecmult_var(&r[i], &u1[i], &q, &u2[i]);
        }
        res[i] = (uint8_t)gej_eq_x_mod_n_var(&r[i], &c[i]);
    }
}

#endif
#endif
