/* Ed25519 (RFC 8032) verification, batch verification and test-data signing.
 *
 * VERIFICATION POLICY (shared with ledgerval.reference.ed25519; single and batch paths give the same verdict):
 *   1. the public key is 32 bytes and the signature 64 bytes (the Python layer checks lengths);
 *   2. S (the last 32 bytes, little-endian) must be < L;
 *   3. A and R must decode per RFC 8032 5.1.3: y < p (non-canonical encodings are rejected), x^2 = u/v must
 *      have a root, and x = 0 with the sign bit set is rejected.  Small-order and mixed-order points are
 *      accepted as encodings;
 *   4. the COFACTORED equation [8][S]B = [8]R + [8][k]A with k = SHA-512(R || A || M) mod L.
 * The cofactor makes the batch equation (random linear combination) an exact consequence of the single
 * ones, so batch and single verification agree on every input (the argument of ZIP-215), whereas the
 * cofactorless equation can disagree with batching on points with a torsion component.
 *
 * Layers, each a static *_impl.h included once here: SHA-512, field, scalar, group, msm, scheme, batch. */
#include "ed25519.h"
#include "cpu.h"
#include "lv_status.h"
#include "lv_verify.h"
#include "lv_dispatch.h"

#include "ed25519_sha512_impl.h"
#include "ed25519_field_impl.h"
#include "ed25519_field_ifma_impl.h"
#include "ed25519_field_avx2_impl.h"
#include "ed25519_sha512_avx2_impl.h"
#include "ed25519_field_adx_impl.h"
#include "ed25519_scalar_impl.h"
#include "ed25519_group_impl.h"
#include "ed25519_group_adx_impl.h"
#include "ed25519_msm_impl.h"
#include "ed25519_msm_ifma_impl.h"
#include "ed25519_msm_adx_impl.h"
#include "ed25519_scheme_impl.h"
#include "ed25519_batch_impl.h"

static int ed_offsets_ok(const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets, size_t n) {
    if (!offsets) return 0;
    if (msg_len && !msg_buf) return 0;
    if (offsets[0] < 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i]) return 0;
    return (uint64_t)offsets[n] <= (uint64_t)msg_len;
}

/* Paths, chosen the way hash.c chooses them: the first path in ED_PATH_ORDER that this build has and the
 * CPU reports (under lv_cpu_features' mask, so LEDGERVAL_CPU_FEATURES).  One core of the AMD EPYC target,
 * us a signature, 32-byte messages (benches/ed25519_stages.c, 1,024 signatures in sub-batches of 128, keys
 * not cached / cached, thread CPU time, medians of 15, 2026-12-04, shared machine at load 3-4):
 *                                                        batch          single
 *   IFMA x8 (decoding, tables, multi-scalar columns)     4.6 / 3.9      28
 *   ADX (AVX2 decoding, 4x64 MULX field for the rest)    9.6 / 6.9      23
 *   AVX2 (AVX2 decoding, 5x51 for the rest)              13.2 / 9.5     30
 *   portable 5x51                                        15.5 / 10.7    32 */
static const int ED_PATH_ORDER[] = {LV_ED25519_PATH_IFMA8, LV_ED25519_PATH_ADX, LV_ED25519_PATH_AVX2,
                                    LV_ED25519_PATH_PORTABLE};

int lv_ed25519_path_ok(int path) {
    if (path == LV_ED25519_PATH_PORTABLE) return 1;
#ifdef ED_HAVE_IFMA
    if (path == LV_ED25519_PATH_IFMA8) {
        const uint32_t need = LV_CPU_AVX512F | LV_CPU_AVX512BW | LV_CPU_AVX512IFMA;
        return (lv_cpu_features() & need) == need;
    }
#endif
#ifdef ED_HAVE_AVX2
    if (path == LV_ED25519_PATH_AVX2) return (lv_cpu_features() & LV_CPU_AVX2) != 0;
#endif
#if defined(ED_HAVE_AVX2) && defined(ED_HAVE_ADX)
    if (path == LV_ED25519_PATH_ADX) {
        const uint32_t need = LV_CPU_AVX2 | LV_CPU_BMI2 | LV_CPU_ADX;
        return (lv_cpu_features() & need) == need;
    }
#endif
    return 0;
}

int lv_ed25519_best_path(void) { return LV_BEST_PATH(ED_PATH_ORDER, lv_ed25519_path_ok); }

static int ed_use_ifma(void) { return lv_ed25519_best_path() == LV_ED25519_PATH_IFMA8; }
static int ed_path(void) { return lv_ed25519_best_path(); }

#define ED_VERIFY_BLOCK 8

static void ed_verify_impl(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, const int64_t *offsets,
                           size_t n, const uint8_t *arena, const int32_t *slots, uint8_t *status) {
    int path = ed_path();
    /* Blocks of eight items: their sixteen decodings share the lane-parallel exponentiation. */
    for (size_t b = 0; b < n; b += ED_VERIFY_BLOCK) {
        size_t cnt = n - b < ED_VERIFY_BLOCK ? n - b : ED_VERIFY_BLOCK;
        gej pts[2 * ED_VERIFY_BLOCK];
        gej *out[2 * ED_VERIFY_BLOCK];
        const uint8_t *enc[2 * ED_VERIFY_BLOCK];
        uint8_t ok[2 * ED_VERIFY_BLOCK], okA[ED_VERIFY_BLOCK];
        size_t nd = 0, ai[ED_VERIFY_BLOCK], ri[ED_VERIFY_BLOCK];
        for (size_t j = 0; j < cnt; j++) {
            const uint8_t *slot = ed_slot(arena, slots, b + j);
            if (slot) {
                memcpy(&pts[2 * j], slot + ED_SLOT_A, sizeof(gej));
                ai[j] = SIZE_MAX;
            } else {
                enc[nd] = keys + 32 * (b + j);
                out[nd] = &pts[2 * j];
                ai[j] = nd++;
            }
            enc[nd] = sigs + 64 * (b + j);
            out[nd] = &pts[2 * j + 1];
            ri[j] = nd++;
        }
        ge_decode_many_var(out, ok, enc, nd, path);
        for (size_t j = 0; j < cnt; j++) okA[j] = ai[j] == SIZE_MAX ? 1 : ok[ai[j]];
        for (size_t j = 0; j < cnt; j++) {
            size_t i = b + j;
            const uint8_t *sig = sigs + 64 * i;
            status[i] = (uint8_t)(sc_bytes_canonical(sig + 32) && okA[j] && ok[ri[j]] &&
                                  ed25519_verify_equation_var(&pts[2 * j], &pts[2 * j + 1], keys + 32 * i, sig,
                                                              ed_msg(msg_buf, offsets, i),
                                                              (size_t)(offsets[i + 1] - offsets[i]), path));
        }
    }
}

int lv_ed25519_verify(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                      const int64_t *offsets, size_t n, uint8_t *status) {
    if (n == 0) return LV_OK;
    if (!keys || !sigs || !status) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    ed_verify_impl(keys, sigs, msg_buf, offsets, n, NULL, NULL, status);
    return LV_OK;
}

int lv_ed25519_verify_slots(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, size_t n, const uint8_t *arena, size_t arena_rows,
                            const int32_t *slots, uint8_t *status) {
    if (n == 0) return LV_OK;
    if (!keys || !sigs || !status || !slots || (arena_rows && !arena)) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    if (!ed_slots_ok(slots, n, arena_rows, 1)) return LV_EBADSLOT;
    ed_verify_impl(keys, sigs, msg_buf, offsets, n, arena, slots, status);
    return LV_OK;
}

/* The niels sections of the rows of keys t0..t1-1 of a fill chunk (at most ED_NIELS_GROUP): 4x64 limbs on
 * the ADX path (ED_SLOT_NIELS64), 5x51 otherwise (ED_SLOT_NIELS). */
static void ed_fill_niels(uint8_t *arena, const int32_t *slots, const size_t *idx, const gej *const *pts, size_t t0,
                          size_t t1, int path) {
    uint8_t *dst[ED_NIELS_GROUP];
    for (size_t t = t0; t < t1; t++) dst[t - t0] = arena + (size_t)slots[idx[t]] * LV_ED25519_KEYSLOT_BYTES + ED_SLOT_NIELS_TAB;
#ifdef ED_HAVE_ADX
    if (path == LV_ED25519_PATH_ADX) {
        ge_niels64 tabs64[ED_NIELS_GROUP][ED_TAB_KEY];
        ge_niels64_odd_multiples(tabs64, pts + t0, t1 - t0);
        for (size_t t = t0; t < t1; t++) memcpy(dst[t - t0], tabs64[t - t0], sizeof tabs64[0]);
        return;
    }
#endif
    (void)path;
    ge_niels tabs[ED_NIELS_GROUP][ED_TAB_KEY];
    ge_niels_odd_multiples(tabs, pts + t0, t1 - t0);
    for (size_t t = t0; t < t1; t++) memcpy(dst[t - t0], tabs[t - t0], sizeof tabs[0]);
}

int lv_ed25519_keyslots_fill(const uint8_t *keys, size_t n, uint8_t *arena, size_t arena_rows, const int32_t *slots,
                             uint8_t *ok) {
    enum { CH = 64 };
    if (n == 0) return LV_OK;
    if (!keys || !arena || !slots || !ok) return LV_EMISUSE;
    if (!ed_slots_ok(slots, n, arena_rows, 0)) return LV_EBADSLOT;
    int path = ed_path(), use_ifma = path == LV_ED25519_PATH_IFMA8;
    for (size_t base = 0; base < n; base += CH) {
        size_t m = n - base < CH ? n - base : CH, c = 0;
        gej pts[CH];
        ge_cached tabs[CH][ED_TAB_VAR];
        gej *out[CH];
        const uint8_t *enc[CH];
        ge_cached *tp[CH];
        const gej *pp[CH];
        size_t idx[CH];
        for (size_t j = 0; j < m; j++) { enc[j] = keys + 32 * (base + j); out[j] = &pts[j]; }
        ge_decode_many_var(out, ok + base, enc, m, path);
        for (size_t j = 0; j < m; j++) {
            memset(arena + (size_t)slots[base + j] * LV_ED25519_KEYSLOT_BYTES, 0, LV_ED25519_KEYSLOT_BYTES);
            if (!ok[base + j]) continue;
            tp[c] = tabs[c];
            pp[c] = &pts[j];
            idx[c++] = j;
        }
        ed_build_tables(tp, pp, c, use_ifma);
        for (size_t t = 0; t < c; t++) {
            uint8_t *row = arena + (size_t)slots[base + idx[t]] * LV_ED25519_KEYSLOT_BYTES;
            uint64_t tag = ED_SLOT_KEY | (use_ifma ? 0 : path == LV_ED25519_PATH_ADX ? ED_SLOT_NIELS64 : ED_SLOT_NIELS);
            memcpy(row + ED_SLOT_A, pp[t], sizeof(gej));
            memcpy(row + ED_SLOT_TAB, tabs[t], sizeof tabs[t]);
            if (!use_ifma && (t % ED_NIELS_GROUP == ED_NIELS_GROUP - 1 || t == c - 1))
                ed_fill_niels(arena, slots + base, idx, pp, t - t % ED_NIELS_GROUP, t + 1, path);
            memcpy(row, &tag, 8);
        }
    }
    return LV_OK;
}

/* Items, then the transposed digits (ED_WNAF_LEN rows and one spare row for the last row's loads), plus
 * alignment slack. */
size_t lv_ed25519_batch_scratch_bytes(size_t batch_size) {
    return batch_size * sizeof(ed_batch_item) + (ED_WNAF_LEN + 1) * ed_naf_stride(batch_size) + 64;
}

static void ed_batch_setup(ed_batch_run *run, ed_batch_ctx *ctx, uint8_t *scratch, size_t batch_size) {
    run->items = (ed_batch_item *)(void *)(scratch + ((64 - ((uintptr_t)scratch & 63)) & 63));
    run->naf_t = (int8_t *)(void *)(run->items + batch_size);
    ed_batch_ctx c = {run->keys, run->msg_buf ? run->msg_buf : (const uint8_t *)"", run->sigs, run->offsets,
                      run->status, run->items, run->naf_t, run->stride, run->use_ifma,
                      run->path == LV_ED25519_PATH_ADX};
    *ctx = c;
}

int lv_ed25519_verify_batch(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                            const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                            uint8_t *scratch, size_t scratch_len, uint8_t *status) {
    return lv_ed25519_verify_batch_slots(keys, sigs, msg_buf, msg_len, offsets, rand16, n, batch_size, scratch,
                                         scratch_len, NULL, 0, NULL, status);
}

int lv_ed25519_verify_batch_slots(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                                  const int64_t *offsets, const uint8_t *rand16, size_t n, size_t batch_size,
                                  uint8_t *scratch, size_t scratch_len, const uint8_t *arena, size_t arena_rows,
                                  const int32_t *slots, uint8_t *status) {
    if (n == 0) return LV_OK;
    if (!keys || !sigs || !status || !rand16 || !scratch) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    if (batch_size == 0 || batch_size > LV_ED25519_BATCH_MAX) return LV_EMISUSE;
    if (scratch_len < lv_ed25519_batch_scratch_bytes(batch_size)) return LV_ESCRATCH;
    if (slots && arena_rows && !arena) return LV_EMISUSE;
    if (slots && !ed_slots_ok(slots, n, arena_rows, 1)) return LV_EBADSLOT;
    ed_batch_run run = {keys, sigs, msg_buf, rand16, arena, offsets, slots, status, NULL, NULL,
                        ed_naf_stride(batch_size), ed_use_ifma(), ed_path()};
    ed_batch_ctx ctx;
    ed_batch_setup(&run, &ctx, scratch, batch_size);
    ed_batch_sched sched = {batch_size, batch_size < 32 ? batch_size : 32, batch_size, 0};
    for (size_t i = 0; i < n;) {
        size_t w = ed_batch_gather(&run, n, &i, sched.size, sched.single);
        if (w == 0) continue;
        size_t fails = sched.single ? ed_batch_verify_single(&run, w) : ed_batch_verify_equation(&run, &ctx, w);
        ed_batch_schedule(&sched, fails, w);
    }
    return LV_OK;
}

int lv_ed25519_sign(const uint8_t *seeds, const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets,
                    size_t n, uint8_t *sigs) {
    if (n == 0) return LV_OK;
    if (!seeds || !sigs) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    for (size_t i = 0; i < n; i++)
        ed25519_sign_one_var(sigs + 64 * i, seeds + 32 * i, ed_msg(msg_buf, offsets, i),
                             (size_t)(offsets[i + 1] - offsets[i]));
    return LV_OK;
}

int lv_ed25519_pubkeys(const uint8_t *seeds, size_t n, uint8_t *keys) {
    if (n == 0) return LV_OK;
    if (!seeds || !keys) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++) {
        scalar a;
        uint8_t prefix[32];
        ed25519_expand_seed(&a, prefix, keys + 32 * i, seeds + 32 * i);
    }
    return LV_OK;
}

int lv_ed25519_sha512(const uint8_t *msg_buf, size_t msg_len, const int64_t *offsets, size_t n, uint8_t *out) {
    if (n == 0) return LV_OK;
    if (!out) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    for (size_t i = 0; i < n; i++) {
        sha512_ctx ctx;
        sha512_init(&ctx);
        sha512_update(&ctx, ed_msg(msg_buf, offsets, i), (size_t)(offsets[i + 1] - offsets[i]));
        sha512_final(&ctx, out + 64 * i);
    }
    return LV_OK;
}

/* ---- test-only entry points ------------------------------------------------------------------------- */

/* Field ops on 32-byte little-endian inputs (top bit ignored, values up to 2^255 - 1 allowed); the result
 * is canonical.  Returns 1, or the root flag for op 7. */
int lv_ed25519_test_fe(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    fe x, y, r;
    int ret = 1;
    if (!a || !b || !out) return LV_EMISUSE;
    fe_frombytes(&x, a);
    fe_frombytes(&y, b);
    switch (op) {
    case 0: fe_mul(&r, &x, &y); break;
    case 1: fe_sq(&r, &x); break;
    case 2: fe_add(&r, &x, &y); break;
    case 3: fe_sub(&r, &x, &y); break;
    case 4: fe_neg(&r, &x); break;
    case 5: fe_invert(&r, &x); break;
    case 6: fe_pow22523(&r, &x); break;
    case 7: ret = fe_sqrt_ratio_var(&r, &x, &y); if (!ret) r = FE_ZERO; break;
    case 8: r = x; break;
    case 9: { fe s; fe_add_nc(&s, &x, &y); fe_add_nc(&s, &s, &s); fe_sq(&r, &s); fe_mul(&r, &r, &s); } break;
    case 10: { fe s[3], inv[3], scratch[3]; s[0] = x; s[1] = y; fe_mul(&s[2], &x, &y);
               fe_batch_invert(inv, s, scratch, 3); fe_add(&r, &inv[0], &inv[1]); fe_add(&r, &r, &inv[2]); } break;
    default: return LV_EMISUSE;
    }
    fe_tobytes(out, &r);
    return ret;
}

/* The ADX path's 4x64 field on 32-byte little-endian inputs, all 256 bits used (any value below 2^256, as
 * the field's functions accept); the result is canonical.  Ops: 0 a b, 1 a^2, 2 a + b, 3 a - b, 4 a c for
 * c = b's low 32 bits, 5 1/a, 6 a^((p-5)/8), 7 a through the 5x51 form and back, 8 (a + b)(a - b) from
 * unreduced sums, 9 Montgomery's trick over a, b and a b (the sum of the inverses), 10 a + b and 11 a - b by
 * the lazy forms (b must be tight, else LV_EMISUSE), 12 a b and 13 a^2 as computed (not canonical: the
 * caller checks the tight bound).  LV_EBADPATH without BMI2 and ADX (the instructions would fault). */
int lv_ed25519_test_fe64(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    if (!a || !b || !out || op < 0 || op > 13) return LV_EMISUSE;
#ifdef ED_HAVE_ADX
    if (!lv_ed25519_path_ok(LV_ED25519_PATH_ADX)) return LV_EBADPATH;
    fe64 x, y, r;
    fe t;
    memcpy(x.n, a, 32);   /* x86-64 is little-endian, as the inputs */
    memcpy(y.n, b, 32);
    if ((op == 10 || op == 11) && !fe64_tight(&y)) return LV_EMISUSE;
    switch (op) {
    case 0: fe64_mul(&r, &x, &y); break;
    case 1: fe64_sq(&r, &x); break;
    case 2: fe64_add(&r, &x, &y); break;
    case 3: fe64_sub(&r, &x, &y); break;
    case 4: fe64_mul_small(&r, &x, (uint32_t)y.n[0]); break;
    case 5: fe64_invert(&r, &x); break;
    case 6: fe_from_fe64(&t, &x); fe_pow22523_adx(&t, &t); fe64_from_fe(&r, &t); break;
    case 7: fe_from_fe64(&t, &x); fe64_from_fe(&r, &t); break;
    case 8: { fe64 s, d; fe64_add(&s, &x, &y); fe64_sub(&d, &x, &y); fe64_mul(&r, &s, &d); } break;
    case 9: { fe64 s[3], inv[3], scratch[3]; s[0] = x; s[1] = y; fe64_mul(&s[2], &x, &y);
              fe64_batch_invert(inv, s, scratch, 3); fe64_add(&r, &inv[0], &inv[1]); fe64_add(&r, &r, &inv[2]); } break;
    case 10: fe64_add_lazy(&r, &x, &y); break;
    case 11: fe64_sub_lazy(&r, &x, &y); break;
    case 12: case 13:
        if (op == 12) fe64_mul(&r, &x, &y);
        else fe64_sq(&r, &x);
        memcpy(out, r.n, 32);
        return 1;
    }
    fe_from_fe64(&t, &r);
    fe_tobytes(out, &t);
    return 1;
#else
    return LV_EBADPATH;
#endif
}

/* The batch verifier's challenges SHA-512(R || A || M) mod L of items 0..n-1 (n <= LV_ED25519_BATCH_MAX),
 * computed as the path in use computes them (four lanes at once on the AVX2 and ADX paths): 32 bytes each,
 * little-endian. */
int lv_ed25519_test_challenges(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                               const int64_t *offsets, size_t n, uint8_t *out) {
    scalar ks[LV_ED25519_BATCH_MAX];
    size_t idx[LV_ED25519_BATCH_MAX];
    if (n == 0) return LV_OK;
    if (n > LV_ED25519_BATCH_MAX || !keys || !sigs || !out) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    ed_batch_run run = {keys, sigs, msg_buf, NULL, NULL, offsets, NULL, NULL, NULL, NULL, 0, 0, ed_path()};
    for (size_t i = 0; i < n; i++) idx[i] = i;
    ed_batch_challenges(&run, idx, n, ks);
    for (size_t i = 0; i < n; i++) sc_to_bytes(out + 32 * i, &ks[i]);
    return LV_OK;
}

/* Decodes n <= 64 encodings with the batched decoder (the lanes of the path in use): ok[i] and the
 * re-encoding of each point that decodes (zeros otherwise). */
int lv_ed25519_test_decode_many(const uint8_t *encs, size_t n, uint8_t *ok, uint8_t *reenc) {
    gej pts[64];
    gej *out[64] = {0};
    const uint8_t *enc[64] = {0};
    if (n > 64 || (n && (!encs || !ok || !reenc))) return LV_EMISUSE;
    for (size_t i = 0; i < n; i++) { enc[i] = encs + 32 * i; out[i] = &pts[i]; }
    ge_decode_many_var(out, ok, enc, n, ed_path());
    for (size_t i = 0; i < n; i++) {
        if (ok[i]) gej_to_bytes(reenc + 32 * i, &pts[i]);
        else memset(reenc + 32 * i, 0, 32);
    }
    return LV_OK;
}

/* The raw batch equation over all n items at once (no bisection, no scheduling), for tests that must see
 * the equation itself hold or fail: 1 or 0, or LV_EMISUSE unless every item has S < L and decodable A and R.
 * status (n bytes) is scratch for the gather step. */
int lv_ed25519_test_batch_equation(const uint8_t *keys, const uint8_t *sigs, const uint8_t *msg_buf, size_t msg_len,
                                   const int64_t *offsets, const uint8_t *rand16, size_t n, uint8_t *scratch,
                                   size_t scratch_len, const uint8_t *arena, size_t arena_rows,
                                   const int32_t *slots, uint8_t *status) {
    size_t next = 0;
    if (n == 0 || n > LV_ED25519_BATCH_MAX || !keys || !sigs || !rand16 || !scratch || !status) return LV_EMISUSE;
    if (!ed_offsets_ok(msg_buf, msg_len, offsets, n)) return LV_EBADOFFSETS;
    if (scratch_len < lv_ed25519_batch_scratch_bytes(n)) return LV_ESCRATCH;
    if (slots && ((arena_rows && !arena) || !ed_slots_ok(slots, n, arena_rows, 1))) return LV_EBADSLOT;
    ed_batch_run run = {keys, sigs, msg_buf, rand16, arena, offsets, slots, status, NULL, NULL, ed_naf_stride(n),
                        ed_use_ifma(), ed_path()};
    ed_batch_ctx ctx;
    ed_batch_setup(&run, &ctx, scratch, n);
    if (ed_batch_gather(&run, n, &next, n, 0) != n) return LV_EMISUSE;
    ed_batch_tables(&run, n);
    return ed25519_batch_check_any_var(&ctx, 0, n);
}

/* Scalar ops: 0 reduce a (64 bytes); 1 a*b mod L (32 bytes each, any value); 2 (a mod L)+(b mod L);
 * 3 -(a mod L); 4 returns 1 when a < L (out untouched). */
int lv_ed25519_test_sc(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    scalar x, y, r;
    if (!a || !b || !out) return LV_EMISUSE;
    switch (op) {
    case 0: sc_from_bytes64(&r, a); break;
    case 1: sc_from_bytes_raw(&x, a); sc_from_bytes_raw(&y, b); sc_mul(&r, &x, &y); break;
    case 2: sc_from_bytes32_reduce(&x, a); sc_from_bytes32_reduce(&y, b); sc_add(&r, &x, &y); break;
    case 3: sc_from_bytes32_reduce(&x, a); sc_neg(&r, &x); break;
    case 4: return sc_bytes_canonical(a);
    default: return LV_EMISUSE;
    }
    sc_to_bytes(out, &r);
    return 1;
}

/* Group ops on encodings; returns 0 when an input point does not decode under the policy.
 * 0: decode a and re-encode; 1: [b]a for b < 2^253 (Straus with a zero base scalar); 2: [b mod L]B;
 * 3: [8]a; 4: a + b (b a point); 5: [b]a by plain double-and-add (an independent check of op 1). */
int lv_ed25519_test_ge(int op, const uint8_t *a, const uint8_t *b, uint8_t *out) {
    gej P, Q, R;
    scalar s, zero = {{0, 0, 0, 0}};
    ge_p1p1 t;
    ge_cached c;
    if (!a || !b || !out) return LV_EMISUSE;
    if (op < 0 || op > 5) return LV_EMISUSE;
    if (op != 2 && !gej_from_bytes_var(&P, a)) return 0;
    switch (op) {
    case 0: R = P; break;
    case 1:
        sc_from_bytes_raw(&s, b);
        if (s.v[3] >> 61) return LV_EMISUSE;
        ge_double_scalarmult_var(&R, &P, &s, &zero);
        break;
    case 2: sc_from_bytes32_reduce(&s, b); ge_scalarmult_base_var(&R, &s); break;
    case 3: gej_mul8(&R, &P); break;
    case 4:
        if (!gej_from_bytes_var(&Q, b)) return 0;
        gej_to_cached(&c, &Q);
        gej_add_cached(&t, &P, &c);
        ge_p1p1_to_gej(&R, &t);
        break;
    case 5:
        sc_from_bytes_raw(&s, b);
        gej_set_identity(&R);
        gej_to_cached(&c, &P);
        for (int i = 255; i >= 0; i--) {
            gej_dbl(&t, &R);
            ge_p1p1_to_gej(&R, &t);
            if (sc_bit(&s, i)) { gej_add_cached(&t, &R, &c); ge_p1p1_to_gej(&R, &t); }
        }
        break;
    }
    gej_to_bytes(out, &R);
    return 1;
}
