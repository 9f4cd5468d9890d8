/* The Straus loop of batch verification and the per-item tables on eight lanes of AVX-512 IFMA.
 *
 * Additions into the running sum commute, so the sum is split into eight lane sums: at each bit position
 * every non-zero digit of every point (R_i, A_i and B) is an event, and the events are dealt to the lanes
 * eight at a time, idle lanes adding the identity (the formulas are complete).  The steps per bit are
 * ceil(events / 8), so the lanes stay balanced whatever the digits.  The lane sums are added at the end.
 * Every field element keeps limbs < 2^52 (IFMA reads 52 bits), so sums are carried before products. */
#ifndef LV_ED25519_MSM_IFMA_IMPL_H
#define LV_ED25519_MSM_IFMA_IMPL_H

#ifdef ED_HAVE_IFMA

typedef struct { fe8 X, Y, Z, T; } gej8;
typedef struct { fe8 E, F, G, H; } ge_p1p1_8;
typedef struct { fe8 YpX, YmX, Z, T2d; } ge_cached8;

ED_IFMA static inline void fe8_carry(fe8 *r) {
    const __m512i mask = _mm512_set1_epi64((long long)FE_MASK51);
    __m512i c;
    for (int k = 0; k < 4; k++) {
        c = _mm512_srli_epi64(r->v[k], 51);
        r->v[k] = _mm512_and_si512(r->v[k], mask);
        r->v[k + 1] = _mm512_add_epi64(r->v[k + 1], c);
    }
    c = _mm512_srli_epi64(r->v[4], 51);
    r->v[4] = _mm512_and_si512(r->v[4], mask);
    r->v[0] = _mm512_add_epi64(r->v[0], fe8_mul19(c));
}

ED_IFMA static inline void fe8_add(fe8 *r, const fe8 *a, const fe8 *b) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_add_epi64(a->v[k], b->v[k]);
    fe8_carry(r);
}

/* a + 4p - b, as fe_sub. */
ED_IFMA static inline void fe8_sub(fe8 *r, const fe8 *a, const fe8 *b) {
    const __m512i p0 = _mm512_set1_epi64(0x1fffffffffffb4LL), pk = _mm512_set1_epi64(0x1ffffffffffffcLL);
    r->v[0] = _mm512_sub_epi64(_mm512_add_epi64(a->v[0], p0), b->v[0]);
    for (int k = 1; k < 5; k++) r->v[k] = _mm512_sub_epi64(_mm512_add_epi64(a->v[k], pk), b->v[k]);
    fe8_carry(r);
}

ED_IFMA static inline void fe8_set1(fe8 *r, const fe *a) {
    for (int k = 0; k < 5; k++) r->v[k] = _mm512_set1_epi64((long long)a->v[k]);
}

ED_IFMA static inline void fe8_load(fe8 *r, const fe *const in[8]) {
    for (int k = 0; k < 5; k++) {
        uint64_t t[8];
        for (int j = 0; j < 8; j++) t[j] = in[j]->v[k];
        r->v[k] = _mm512_loadu_si512((const void *)t);
    }
}

ED_IFMA static inline void fe8_store(fe *const out[8], const fe8 *a) {
    for (int k = 0; k < 5; k++) {
        uint64_t t[8];
        _mm512_storeu_si512((void *)t, a->v[k]);
        for (int j = 0; j < 8; j++) out[j]->v[k] = t[j];
    }
}

ED_IFMA static inline void ge8_p1p1_to_gej(gej8 *r, const ge_p1p1_8 *p) {
    fe8_mul(&r->X, &p->E, &p->F);
    fe8_mul(&r->Y, &p->G, &p->H);
    fe8_mul(&r->Z, &p->F, &p->G);
    fe8_mul(&r->T, &p->E, &p->H);
}

/* As ge_p2_dbl, from the completed point directly (X, Y, Z of p1p1_to_p2). */
ED_IFMA static inline void ge8_p1p1_dbl(ge_p1p1_8 *r, const ge_p1p1_8 *p) {
    fe8 X, Y, Z, a, b, c, s;
    fe8_mul(&X, &p->E, &p->F);
    fe8_mul(&Y, &p->G, &p->H);
    fe8_mul(&Z, &p->F, &p->G);
    fe8_sq(&a, &X);
    fe8_sq(&b, &Y);
    fe8_sq(&c, &Z);
    fe8_add(&c, &c, &c);
    fe8_add(&s, &X, &Y);
    fe8_sq(&s, &s);
    fe8_add(&r->H, &a, &b);
    fe8_sub(&r->E, &r->H, &s);
    fe8_sub(&r->G, &a, &b);
    fe8_add(&r->F, &c, &r->G);
}

ED_IFMA static inline void ge8_add_cached(ge_p1p1_8 *r, const gej8 *p, const ge_cached8 *q) {
    fe8 a, b, c, dd, t;
    fe8_sub(&t, &p->Y, &p->X);
    fe8_mul(&a, &t, &q->YmX);
    fe8_add(&t, &p->Y, &p->X);
    fe8_mul(&b, &t, &q->YpX);
    fe8_mul(&c, &p->T, &q->T2d);
    fe8_mul(&dd, &p->Z, &q->Z);
    fe8_add(&dd, &dd, &dd);
    fe8_sub(&r->E, &b, &a);
    fe8_sub(&r->F, &dd, &c);
    fe8_add(&r->G, &dd, &c);
    fe8_add(&r->H, &b, &a);
}

ED_IFMA static inline void ge8_to_cached(ge_cached8 *r, const gej8 *p, const fe8 *d2) {
    fe8_add(&r->YpX, &p->Y, &p->X);
    fe8_sub(&r->YmX, &p->Y, &p->X);
    r->Z = p->Z;
    fe8_mul(&r->T2d, &p->T, d2);
}

ED_IFMA static inline void ge8_store_cached(ge_cached *const out[8], const ge_cached8 *c) {
    fe *o[8];
    for (int j = 0; j < 8; j++) o[j] = &out[j]->YpX;
    fe8_store(o, &c->YpX);
    for (int j = 0; j < 8; j++) o[j] = &out[j]->YmX;
    fe8_store(o, &c->YmX);
    for (int j = 0; j < 8; j++) o[j] = &out[j]->Z;
    fe8_store(o, &c->Z);
    for (int j = 0; j < 8; j++) o[j] = &out[j]->T2d;
    fe8_store(o, &c->T2d);
}

/* tabs[j][i] = (2i+1) pts[j] for i < ED_TAB_VAR, eight points at once (as gej_odd_multiples_cached). */
ED_IFMA static void gej_odd_multiples_cached_x8(ge_cached *const tabs[8], const gej *const pts[8]) {
    gej8 p, cur;
    ge_p1p1_8 t;
    ge_cached8 c2, c;
    fe8 d2;
    const fe *in[8];
    fe8_set1(&d2, &FE_D2);
    for (int j = 0; j < 8; j++) in[j] = &pts[j]->X;
    fe8_load(&p.X, in);
    for (int j = 0; j < 8; j++) in[j] = &pts[j]->Y;
    fe8_load(&p.Y, in);
    for (int j = 0; j < 8; j++) in[j] = &pts[j]->Z;
    fe8_load(&p.Z, in);
    for (int j = 0; j < 8; j++) in[j] = &pts[j]->T;
    fe8_load(&p.T, in);
    /* 2P from the completed doubling of P: p1p1 with E..H set so that p1p1_dbl's X, Y, Z equal P's would
     * need a division; double directly instead. */
    {
        fe8 a, b, cc, s;
        fe8_sq(&a, &p.X);
        fe8_sq(&b, &p.Y);
        fe8_sq(&cc, &p.Z);
        fe8_add(&cc, &cc, &cc);
        fe8_add(&s, &p.X, &p.Y);
        fe8_sq(&s, &s);
        fe8_add(&t.H, &a, &b);
        fe8_sub(&t.E, &t.H, &s);
        fe8_sub(&t.G, &a, &b);
        fe8_add(&t.F, &cc, &t.G);
    }
    gej8 p2;
    ge8_p1p1_to_gej(&p2, &t);
    ge8_to_cached(&c2, &p2, &d2);
    ge8_to_cached(&c, &p, &d2);
    ge_cached *o[8];
    for (int j = 0; j < 8; j++) o[j] = &tabs[j][0];
    ge8_store_cached(o, &c);
    cur = p;
    for (int i = 1; i < ED_TAB_VAR; i++) {
        ge8_add_cached(&t, &cur, &c2);
        ge8_p1p1_to_gej(&cur, &t);
        ge8_to_cached(&c, &cur, &d2);
        for (int j = 0; j < 8; j++) o[j] = &tabs[j][i];
        ge8_store_cached(o, &c);
    }
}

static const ge_cached ED_CACHED_IDENTITY = {{{1, 0, 0, 0, 0}}, {{1, 0, 0, 0, 0}}, {{1, 0, 0, 0, 0}}, {{0, 0, 0, 0, 0}}};

/* Eight cached points (gathered by address) into lanes, negated in the lanes of neg_mask. */
ED_IFMA static inline void ge8_gather_cached(ge_cached8 *r, const ge_cached *const ev[8], __mmask8 neg_mask) {
    __m512i addr = _mm512_loadu_si512((const void *)ev);
    fe8 *dst[4] = {&r->YpX, &r->YmX, &r->Z, &r->T2d};
    for (int f = 0; f < 4; f++)
        for (int k = 0; k < 5; k++) {
            __m512i a = _mm512_add_epi64(addr, _mm512_set1_epi64((long long)(sizeof(fe) * f + 8 * k)));
            dst[f]->v[k] = _mm512_i64gather_epi64(a, (const void *)0, 1);
        }
    if (neg_mask) {
        /* -(Y+X, Y-X, Z, 2dT) = (Y-X, Y+X, Z, -2dT) */
        fe8 negT, zero;
        for (int k = 0; k < 5; k++) {
            __m512i a = r->YpX.v[k], b = r->YmX.v[k];
            r->YpX.v[k] = _mm512_mask_blend_epi64(neg_mask, a, b);
            r->YmX.v[k] = _mm512_mask_blend_epi64(neg_mask, b, a);
            zero.v[k] = _mm512_setzero_si512();
        }
        fe8_sub(&negT, &zero, &r->T2d);
        for (int k = 0; k < 5; k++) r->T2d.v[k] = _mm512_mask_blend_epi64(neg_mask, r->T2d.v[k], negT.v[k]);
    }
}

/* ed25519_batch_check_var on eight lanes; the same verdict.  naf_t is the digits transposed: row i (stride
 * bytes) holds, for each item j, the digit at bit i of z_j at column 2j and of z_j k_j at column 2j+1, so a
 * bit's events are found 64 columns per compare instead of a branch per point.  Rows are padded so that
 * 64-byte loads from any column below 2 hi stay inside the buffer. */
ED_IFMA static int ed25519_batch_check_ifma_var(const ed_batch_item *items, const int8_t *naf_t, size_t stride,
                                                size_t lo, size_t hi) {
    scalar sum = {{0, 0, 0, 0}}, b;
    int top = 0;
    for (size_t j = lo; j < hi; j++) {
        sc_add(&sum, &sum, &items[j].zS);
        if (items[j].topR > top) top = items[j].topR;
        if (items[j].topA > top) top = items[j].topA;
    }
    sc_neg(&b, &sum);
    int8_t nafb[ED_WNAF_LEN];
    int top_b = wnaf_var(nafb, &b, ED_W_BASE);
    if (top_b > top) top = top_b;
    (void)ed_base_table();
    const ge_cached *bt = ED_BASE_CACHED;

    ge_p1p1_8 acc;
    for (int k = 0; k < 5; k++) {
        acc.E.v[k] = _mm512_setzero_si512();
        acc.F.v[k] = acc.G.v[k] = acc.H.v[k] = _mm512_set1_epi64(k == 0);
    }
    const ge_cached *ev[8];
    int nev = 0;
    __mmask8 neg = 0;
    gej8 u;
    ge_cached8 q;
#define ED_FLUSH()                                                     \
    do {                                                               \
        for (int f_ = nev; f_ < 8; f_++) ev[f_] = &ED_CACHED_IDENTITY; \
        ge8_gather_cached(&q, ev, neg);                                \
        ge8_p1p1_to_gej(&u, &acc);                                     \
        ge8_add_cached(&acc, &u, &q);                                  \
        nev = 0;                                                       \
        neg = 0;                                                       \
    } while (0)
#define ED_EVENT(d, tab)                                                  \
    do {                                                                  \
        int d_ = (d);                                                     \
        if (d_ > 0) ev[nev] = &(tab)[d_ >> 1];                            \
        else { ev[nev] = &(tab)[(-d_) >> 1]; neg |= (__mmask8)(1u << nev); } \
        if (++nev == 8) ED_FLUSH();                                       \
    } while (0)
    for (int i = top - 1; i >= 0; i--) {
        ge8_p1p1_dbl(&acc, &acc);
        const int8_t *row = naf_t + (size_t)i * stride;
        for (size_t c = 2 * lo; c < 2 * hi; c += 64) {
            __m512i v = _mm512_loadu_si512((const void *)(row + c));
            uint64_t mask = (uint64_t)_mm512_test_epi8_mask(v, v);
            if (2 * hi - c < 64) mask &= ((uint64_t)1 << (2 * hi - c)) - 1;
            while (mask) {
                size_t col = c + (size_t)__builtin_ctzll(mask);
                mask &= mask - 1;
                const ed_batch_item *it = &items[col >> 1];
                ED_EVENT(row[col], (col & 1) ? it->tabA : it->tabR);
            }
        }
        if (nafb[i]) ED_EVENT(nafb[i], bt);
        if (nev) ED_FLUSH();
    }
#undef ED_EVENT
#undef ED_FLUSH
    /* Sum the eight lanes. */
    gej lanes[8];
    ge8_p1p1_to_gej(&u, &acc);
    fe *o[8];
    for (int j = 0; j < 8; j++) o[j] = &lanes[j].X;
    fe8_store(o, &u.X);
    for (int j = 0; j < 8; j++) o[j] = &lanes[j].Y;
    fe8_store(o, &u.Y);
    for (int j = 0; j < 8; j++) o[j] = &lanes[j].Z;
    fe8_store(o, &u.Z);
    for (int j = 0; j < 8; j++) o[j] = &lanes[j].T;
    fe8_store(o, &u.T);
    gej P = lanes[0];
    for (int j = 1; j < 8; j++) {
        ge_cached c;
        ge_p1p1 t;
        gej_to_cached(&c, &lanes[j]);
        gej_add_cached(&t, &P, &c);
        ge_p1p1_to_gej(&P, &t);
    }
    gej_mul8(&P, &P);
    return gej_is_identity_var(&P);
}

#endif
#endif
