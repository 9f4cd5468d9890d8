/* Return codes and argument order shared by every native kernel family (hash, secp256k1, p256, sm2,
 * ed25519).
 *
 * Three kinds of failure stay apart: bad data is a result (a status byte of 0 per item, never a return
 * code); misuse is a negative return code below, which the Python layer turns into NativeMisuse; an
 * internal inconsistency is a VERIFY_CHECK (lv_verify.h) in the checked build.
 *
 * Argument order of a batch entry point, as hash.c set it:
 *   1. selectors (algo, path, op), when there are any;
 *   2. per-item inputs (keys, key_lens, digests, sigs, message buffer, its length and offsets);
 *   3. n, the number of items;
 *   4. options (low_s, batch_size, scratch and its length), then a per-key cache (arena or tables, their
 *      row count, the per-item row index), then a shared claim counter;
 *   5. outputs (digests, signatures, status bytes), last.
 * A NULL buffer with n = 0 is never misuse: an empty batch reads and writes nothing. */
#ifndef LV_STATUS_H
#define LV_STATUS_H

#define LV_OK             0
#define LV_EMISUSE      (-1)  /* a NULL buffer with n > 0, an unknown op, a size out of range */
#define LV_EBADALGO     (-2)  /* unknown algorithm */
#define LV_EBADPATH     (-3)  /* the path does not exist for this algorithm or this CPU (after its mask) lacks it */
#define LV_EBADOFFSETS  (-4)  /* offsets decrease, are negative, or run past the buffer */
#define LV_EBADSLOT     (-5)  /* a cache row index outside the arena */
#define LV_ESCRATCH     (-6)  /* the scratch buffer is smaller than the call needs */

#endif
