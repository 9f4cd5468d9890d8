/* The Ed25519 batch verifier's pieces (included once, by ed25519.c): the per-key slot layout, table
 * building, and the scheduler of lv_ed25519_verify_batch_slots, split into static helpers: gather a
 * sub-batch (decode, compact, scalars), verify it by the batch equation or item by item, and choose the
 * next sub-batch's size and mode. */
#ifndef LV_ED25519_BATCH_IMPL_H
#define LV_ED25519_BATCH_IMPL_H

/* A zero-length message may come with a NULL buffer; never form NULL + offset. */
static inline const uint8_t *ed_msg(const uint8_t *msg_buf, const int64_t *offsets, size_t i) {
    static const uint8_t empty[1] = {0};
    return msg_buf ? msg_buf + offsets[i] : empty;
}

/* A key slot of the per-key cache (rows of a numpy arena that native/ed25519.py owns; C reads them, or
 * writes the rows a fill call is handed): only what the key bytes alone determine, never a verdict, and
 * only for keys that decode under the verification policy (ed25519.c).
 *   [0, 8)       tag ED_SLOT_KEY, little-endian uint64 (0: an empty row, never handed to a verify call)
 *   [8, 168)     A as gej (X, Y, Z, T limbs)
 *   [168, 1448)  A's ED_TAB_VAR odd multiples as ge_cached (the batch equation's per-item table)
 *   [1448, 5288) with tag bit ED_SLOT_NIELS: A's ED_TAB_KEY odd multiples in niels form, for the portable
 *                and AVX2 batch equation (filled when the fill call runs on those paths, which read the
 *                section only when the bit says it is there: a row filled on the IFMA path stays valid);
 *                with tag bit ED_SLOT_NIELS64 instead, the same multiples as ge_niels64 (4x64 limbs, the
 *                first 3,072 bytes), filled on the ADX path.  The ADX path converts a 5x51 section while
 *                copying it into the sub-batch, and the portable and AVX2 paths ignore a 4x64 one.
 * The wider affine table cuts a cached key's additions from about 42 of 8M (w = 5, cached form) to 32 of
 * 7M (w = 7, niels).  The fill costs more: 8.5 us a key against 4.0 without the niels section (AVX2 tier,
 * benches/ed25519_stages.c), paid back after two or three further verifications of the key. */
#define ED_SLOT_KEY 1u
#define ED_SLOT_NIELS 2u
#define ED_SLOT_NIELS64 4u
#define ED_SLOT_A 8
#define ED_SLOT_TAB (ED_SLOT_A + sizeof(gej))
#define ED_SLOT_NIELS_TAB (ED_SLOT_TAB + ED_TAB_VAR * sizeof(ge_cached))
_Static_assert(ED_SLOT_NIELS_TAB + ED_TAB_KEY * sizeof(ge_niels) == LV_ED25519_KEYSLOT_BYTES, "key slot layout");
#ifdef ED_HAVE_ADX
_Static_assert(sizeof(ge_niels64) <= sizeof(ge_niels), "the 4x64 niels section fits the 5x51 one");
#endif

static int ed_slots_ok(const int32_t *slots, size_t n, size_t rows, int allow_none) {
    for (size_t i = 0; i < n; i++)
        if (slots[i] < (allow_none ? -1 : 0) || (slots[i] >= 0 && (size_t)slots[i] >= rows)) return 0;
    return 1;
}

/* The niels table of a slot when it has one (the niels section is read in place: rows are 8-byte aligned). */
static const ge_niels *ed_slot_niels(const uint8_t *slot) {
    uint64_t tag;
    memcpy(&tag, slot, 8);
    return (tag & ED_SLOT_NIELS) ? (const ge_niels *)(const void *)(slot + ED_SLOT_NIELS_TAB) : NULL;
}

#ifdef ED_HAVE_ADX
static const ge_niels64 *ed_slot_niels64(const uint8_t *slot) {
    uint64_t tag;
    memcpy(&tag, slot, 8);
    return (tag & ED_SLOT_NIELS64) ? (const ge_niels64 *)(const void *)(slot + ED_SLOT_NIELS_TAB) : NULL;
}
#endif

/* Item i's slot, or NULL when it has none (or an empty row). */
static const uint8_t *ed_slot(const uint8_t *arena, const int32_t *slots, size_t i) {
    uint64_t tag;
    const uint8_t *row;
    if (!slots || slots[i] < 0) return NULL;
    row = arena + (size_t)slots[i] * LV_ED25519_KEYSLOT_BYTES;
    memcpy(&tag, row, 8);
    return (tag & ED_SLOT_KEY) ? row : NULL;
}

/* Tables of odd multiples for npts points: eight at a time on IFMA lanes, the rest one by one. */
static void ed_build_tables(ge_cached *const *tabs, const gej *const *pts, size_t npts, int use_ifma) {
    size_t t = 0;
#ifdef ED_HAVE_IFMA
    if (use_ifma)
        for (; t + 8 <= npts; t += 8) gej_odd_multiples_cached_x8(tabs + t, pts + t);
#else
    (void)use_ifma;
#endif
    for (; t < npts; t++) gej_odd_multiples_cached(tabs[t], pts[t], ED_TAB_VAR);
}

/* Rows of the transposed digits: two columns per item, padded to whole 64-byte loads. */
static size_t ed_naf_stride(size_t batch_size) { return (2 * batch_size + 63) & ~(size_t)63; }

/* One lv_ed25519_verify_batch_slots call: its buffers and the scratch carved out for the sub-batches. */
typedef struct {
    const uint8_t *keys, *sigs, *msg_buf, *rand16, *arena;
    const int64_t *offsets;
    const int32_t *slots;
    uint8_t *status;
    ed_batch_item *items;      /* the current sub-batch, batch_size rows of scratch */
    int8_t *naf_t;             /* its transposed digits (IFMA path) */
    size_t stride;
    int use_ifma;
    int path;                  /* LV_ED25519_PATH_* in use (the decoder's lanes; ADX: the 4x64 field) */
} ed_batch_run;

/* The window of an item's A digits on the portable and AVX2 paths, whose check reads A's table from the
 * group leader: the slot's niels table, or the w = 5 table built for the leader.  The IFMA check reads each
 * item's own tabA, and there nielsA is always NULL. */
static int ed_item_key_window(const ed_batch_item *items, const ed_batch_item *it) {
    return ed_item_has_niels(&items[it->group]) ? ED_W_KEY : ED_W_VAR;
}

/* The multipliers and digits of item it (the batch equation's row col): z odd keeps it non-zero mod L,
 * 127 random bits, a 2^-127 chance that a bad batch passes. */
ED_INLINE void ed_batch_item_scalars(const ed_batch_run *r, ed_batch_item *it, size_t col, const scalar *k) {
    size_t idx = it->index;
    scalar S, z, zk;
    const uint8_t *sig = r->sigs + 64 * idx;
    sc_from_bytes_raw(&S, sig + 32);
    z.v[0] = sc_load64_le(r->rand16 + 16 * idx) | 1;
    z.v[1] = sc_load64_le(r->rand16 + 16 * idx + 8);
    z.v[2] = z.v[3] = 0;
    sc_mul(&zk, &z, k);
    it->zk = zk;
    sc_mul(&it->zS, &z, &S);
    it->topR = wnaf_var(it->nafR, &z, ED_W_VAR);
    /* the window of the table the check will use: the group leader's (ed25519_batch_check_var) */
    it->topA = wnaf_var(it->nafA, &zk, ed_item_key_window(r->items, it));
    if (r->use_ifma) {
        for (size_t b = 0; b < ED_WNAF_LEN; b++) {
            r->naf_t[b * r->stride + 2 * col] = it->nafR[b];
            r->naf_t[b * r->stride + 2 * col + 1] = it->nafA[b];
        }
    }
}

/* ks[j] = the challenge SHA-512(R || A || M) mod L of item idx[j] of the call, j < w: where the CPU (under
 * the mask) has AVX2, so on the AVX2, ADX and IFMA8 paths, four at a time where four consecutive items pad to the same number of blocks (at most
 * ED_SHA_X4_MAX_BLOCKS; 305 -> 119 ns a challenge with 32-byte messages, benches/ed25519_stages.c), the
 * rest one by one. */
static void ed_batch_challenges(const ed_batch_run *r, const size_t *idx, size_t w, scalar *ks) {
#define ED_CHALLENGE_ARGS(i) \
    r->sigs + 64 * (i), r->keys + 32 * (i), ed_msg(r->msg_buf, r->offsets, i), (size_t)(r->offsets[(i) + 1] - r->offsets[i])
    size_t j = 0;
#ifdef ED_HAVE_AVX2
    if (r->path != LV_ED25519_PATH_PORTABLE && (lv_cpu_features() & LV_CPU_AVX2)) {
        uint8_t buf[4][128 * ED_SHA_X4_MAX_BLOCKS], h[4][64];
        for (; j + 4 <= w; j += 4) {
            size_t nb[4];
            const uint8_t *msg[4];
            for (int q = 0; q < 4; q++) {
                nb[q] = sha512_pad_challenge(buf[q], ED_CHALLENGE_ARGS(idx[j + q]));
                msg[q] = buf[q];
            }
            if (nb[0] && nb[0] == nb[1] && nb[0] == nb[2] && nb[0] == nb[3]) {
                sha512x4_blocks(h, msg, nb[0]);
                for (int q = 0; q < 4; q++) sc_from_bytes64(&ks[j + q], h[q]);
            } else {
                for (int q = 0; q < 4; q++) ed25519_challenge(&ks[j + q], ED_CHALLENGE_ARGS(idx[j + q]));
            }
        }
    }
#endif
    for (; j < w; j++) ed25519_challenge(&ks[j], ED_CHALLENGE_ARGS(idx[j]));
#undef ED_CHALLENGE_ARGS
}

/* items[j].group = the first j' <= j with the same key bytes, by open addressing on the keys' first eight
 * bytes (an encoded y: spread enough; colliding inputs only cost compares). */
static void ed_batch_group_keys(const ed_batch_run *r, size_t w) {
    enum { SLOTS = 2 * LV_ED25519_BATCH_MAX };
    uint16_t table[SLOTS];
    memset(table, 0xff, sizeof table);
    for (size_t j = 0; j < w; j++) {
        const uint8_t *pk = r->keys + 32 * r->items[j].index;
        uint64_t h;
        memcpy(&h, pk, 8);
        size_t s = (size_t)((h * 0x9E3779B97F4A7C15ULL) >> 55) & (SLOTS - 1);
        while (table[s] != UINT16_MAX && memcmp(r->keys + 32 * r->items[table[s]].index, pk, 32) != 0)
            s = (s + 1) & (SLOTS - 1);
        if (table[s] == UINT16_MAX) table[s] = (uint16_t)j;
        r->items[j].group = table[s];
    }
}

/* The next sub-batch from item *next on, up to max_items: items with S >= L fail here, the others' A and R
 * are decoded together, and those that decode are compacted to the front of r->items (with their scalars
 * unless single).  Returns how many were kept; *next moves past every item looked at. */
ED_INLINE size_t ed_batch_gather(const ed_batch_run *r, size_t n, size_t *next, size_t max_items, int single) {
    const uint8_t *enc[2 * LV_ED25519_BATCH_MAX];
    gej *out[2 * LV_ED25519_BATCH_MAX];
    uint8_t ok[2 * LV_ED25519_BATCH_MAX];
    size_t ai[LV_ED25519_BATCH_MAX], ri[LV_ED25519_BATCH_MAX];  /* decode positions of A (SIZE_MAX: cached), R */
    ed_batch_item *items = r->items;
    size_t m = 0, nd = 0, i = *next;
    for (; i < n && m < max_items; i++) {
        if (!sc_bytes_canonical(r->sigs + 64 * i + 32)) {
            r->status[i] = 0;
            continue;
        }
        items[m].index = i;
        items[m].slot = ed_slot(r->arena, r->slots, i);
        /* The IFMA check reads tabA in its lanes: it keeps the w = 5 digits. */
        items[m].nielsA = items[m].slot && !r->use_ifma ? ed_slot_niels(items[m].slot) : NULL;
#ifdef ED_HAVE_ADX
        items[m].nielsA64 = items[m].slot && r->path == LV_ED25519_PATH_ADX ? ed_slot_niels64(items[m].slot) : NULL;
#endif
        if (items[m].slot) {
            memcpy(&items[m].A, items[m].slot + ED_SLOT_A, sizeof(gej));
            ai[m] = SIZE_MAX;
        } else {
            enc[nd] = r->keys + 32 * i;
            out[nd] = &items[m].A;
            ai[m] = nd++;
        }
        enc[nd] = r->sigs + 64 * i;
        out[nd] = &items[m].R;
        ri[m] = nd++;
        m++;
    }
    *next = i;
    if (nd) ge_decode_many_var(out, ok, enc, nd, r->path);
    size_t w = 0;
    for (size_t j = 0; j < m; j++) {
        if ((ai[j] != SIZE_MAX && !ok[ai[j]]) || !ok[ri[j]]) {
            r->status[items[j].index] = 0;   /* A or R does not decode: fails outside the batch */
            continue;
        }
        ed_batch_item *it = &items[w++];
        if (it != &items[j]) {
            it->A = items[j].A;
            it->R = items[j].R;
            it->index = items[j].index;
            it->slot = items[j].slot;
            it->nielsA = items[j].nielsA;
#ifdef ED_HAVE_ADX
            it->nielsA64 = items[j].nielsA64;
#endif
        }
    }
    if (!single && w) {
        scalar ks[LV_ED25519_BATCH_MAX];
        size_t idx[LV_ED25519_BATCH_MAX];
        for (size_t j = 0; j < w; j++) idx[j] = items[j].index;
        ed_batch_group_keys(r, w);
        ed_batch_challenges(r, idx, w, ks);
        for (size_t j = 0; j < w; j++) ed_batch_item_scalars(r, &items[j], j, &ks[j]);
    }
    return w;
}

/* The w gathered items verified one by one; returns how many failed. */
static size_t ed_batch_verify_single(const ed_batch_run *r, size_t w) {
    size_t fails = 0;
    for (size_t j = 0; j < w; j++) {
        const ed_batch_item *it = &r->items[j];
        size_t idx = it->index;
        r->status[idx] = (uint8_t)ed25519_verify_equation_var(&it->A, &it->R, r->keys + 32 * idx, r->sigs + 64 * idx,
                                                              ed_msg(r->msg_buf, r->offsets, idx),
                                                              (size_t)(r->offsets[idx + 1] - r->offsets[idx]), r->path);
        fails += !r->status[idx];
    }
    return fails;
}

#ifdef ED_HAVE_ADX
/* ed_batch_tables on the ADX path, in 4x64 form: every R's table, and each group leader's A table: a cached
 * key's niels table copied (filled on this path) or converted (filled on the portable or AVX2 path), else
 * its slot's w = 5 table converted, else built. */
static void ed_batch_tables_adx(const ed_batch_run *r, size_t w) {
    ge_cached64 *tabs[2 * LV_ED25519_BATCH_MAX];
    const gej *pts[2 * LV_ED25519_BATCH_MAX];
    size_t nt = 0;
    for (size_t t = 0; t < w; t++) {
        ed_batch_item *it = &r->items[t];
        tabs[nt] = it->tabR64;
        pts[nt++] = &it->R;
        if (it->group != t) continue;
        if (it->nielsA64) {
            memcpy(it->nielsK64, it->nielsA64, sizeof it->nielsK64);
            it->nielsA64 = it->nielsK64;
        } else if (it->nielsA) {
            for (int i = 0; i < ED_TAB_KEY; i++) ge_niels64_from_niels(&it->nielsK64[i], &it->nielsA[i]);
            it->nielsA64 = it->nielsK64;
            it->nielsA = NULL;
        } else if (it->slot) {
            const ge_cached *tab = (const ge_cached *)(const void *)(it->slot + ED_SLOT_TAB);
            for (int i = 0; i < ED_TAB_VAR; i++) ge_cached64_from_cached(&it->tabA64[i], &tab[i]);
        } else {
            tabs[nt] = it->tabA64;
            pts[nt++] = &it->A;
        }
    }
    size_t t = 0;
    for (; t + 2 <= nt; t += 2) gej64_odd_multiples_cached_x2(tabs + t, pts + t, ED_TAB_VAR);
    if (t < nt) gej64_odd_multiples_cached(tabs[t], pts[t], ED_TAB_VAR);
}
#endif

/* Tables of odd multiples for the w gathered items: every R's, and A's unless its slot has one. */
static void ed_batch_tables(const ed_batch_run *r, size_t w) {
#ifdef ED_HAVE_ADX
    if (r->path == LV_ED25519_PATH_ADX) {
        ed_batch_tables_adx(r, w);
        return;
    }
#endif
    ge_cached *tabs[2 * LV_ED25519_BATCH_MAX];
    const gej *tpts[2 * LV_ED25519_BATCH_MAX];
    ed_batch_item *items = r->items;
    size_t nt = 0;
    for (size_t t = 0; t < w; t++) {
        tabs[nt] = items[t].tabR;
        tpts[nt++] = &items[t].R;
        if (!r->use_ifma && items[t].group != t) {
            continue;               /* the portable check reads the group leader's table */
        } else if (items[t].slot) {
            /* Copied into the sub-batch like tabA.  Read in place, the tables of a thousand keys missed the
             * caches in the Straus loop: 12.2 us a signature, against 11.1 with the w = 5 tables and 9.6
             * with the copy (1024 cached keys, AVX2 tier, benches/ed25519_stages.c, min of 5, loaded). */
            if (items[t].nielsA) {
                memcpy(items[t].nielsK, items[t].nielsA, sizeof items[t].nielsK);
                items[t].nielsA = items[t].nielsK;
            } else {
                memcpy(items[t].tabA, items[t].slot + ED_SLOT_TAB, sizeof items[t].tabA);
            }
        } else {
            tabs[nt] = items[t].tabA;
            tpts[nt++] = &items[t].A;
        }
    }
    ed_build_tables(tabs, tpts, nt, r->use_ifma);
}

/* The w gathered items through the batch equation, bisecting when it fails; returns how many failed. */
static size_t ed_batch_verify_equation(const ed_batch_run *r, const ed_batch_ctx *ctx, size_t w) {
    size_t fails = 0;
    ed_batch_tables(r, w);
    if (ed25519_batch_check_any_var(ctx, 0, w)) {
        ed25519_batch_mark(ctx, 0, w, 1);
        return 0;
    }
    ed25519_batch_bisect_var(ctx, 0, w);
    for (size_t j = 0; j < w; j++) fails += !r->status[r->items[j].index];
    return fails;
}

/* The scheduler between sub-batches.  Bisection spends about log2(w) batch checks per failing item:
 * measured on the IFMA path, one failure in 128 costs about 18 single verifications, so past about one
 * failure in 16 the next sub-batch is verified item by item (same verdicts), and a sub-batch with fewer
 * failures switches back.  This keeps inputs full of bad signatures near the cost of single verification.
 * After a run of bad signatures, sub-batches restart at first_size (32) items and double while clean, so
 * that the next bad run costs a small bisection before the switch.  The first sub-batch is full size:
 * valid input is the common case (an all-bad first sub-batch of 128 costs about 4x single verification). */
typedef struct {
    size_t size, first_size, max_size;
    int single;
} ed_batch_sched;

static void ed_batch_schedule(ed_batch_sched *s, size_t fails, size_t w) {
    int was_single = s->single;
    s->single = fails * 16 > w;
    if (s->single || was_single) s->size = s->first_size;
    else s->size = 2 * s->size < s->max_size ? 2 * s->size : s->max_size;
}

#endif
