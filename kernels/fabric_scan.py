"""A Numba kernel that reads the signatures of a Fabric block's endorser transactions in one call: for each
envelope, where its payload, signature and creator lie, and for each endorsement where its endorser,
signature and proposal_response_payload lie.  Protobuf wire format (protobuf.dev/programming-guides/encoding);
field numbers of hyperledger/fabric-protos (common/common.proto, peer/transaction.proto).

It accepts a strict canonical subset only and declines everything else (``ok[i] = 0``) for the caller's
protobuf path, which stays the reference and words every error:
- every varint minimal (no trailing zero group) and at most 9 bytes, tags at most 4 bytes;
- wire types 0, 1, 2 and 5 only, and each field of a read message in its declared wire type;
- in every message, field numbers strictly increasing, except that a repeated field (actions,
  endorsements) may repeat back to back: so no field occurs twice and nothing is merged, and Fabric's
  last-occurrence-wins reading (bytes fields) equals the one reading there is;
- lengths within the parent message; unknown fields (ChannelHeader's timestamp, epoch, extension...) skipped;
- the Envelope exactly (payload, signature), both non-empty, nothing else (Fabric's canonical form);
- a ChannelHeader of type ENDORSER_TRANSACTION (3), its string fields (channel_id, tx_id) ASCII (protobuf
  refuses invalid UTF-8, and the reference must see those);
- a creator, at least one action, at least one endorsement per action, each with endorser and signature:
  whatever the report would flag (missing_signature) is left to the reference, which flags it.

Byte offsets are into ``buf`` (the block's envelopes back to back, envelope i at ``offsets[i]:offsets[i+1]``).
"""
from __future__ import annotations

import numba as nb
import numpy as np

ENDORSER_TRANSACTION = 3

# Columns of the signature rows: one row per signature, in the order the reference lists them (per
# envelope, the creator's, then each endorsement's): the signer's identity span, the signed message as one
# or two spans (payload; or proposal_response_payload then endorser), the DER signature's span, and k
# (-1 for the creator, else the endorsement's index in its transaction), the envelope's index, and the
# first row whose signer has the same bytes (``SAME``: the row itself for the first of its kind).
SIGNER_A, SIGNER_B, MSG_A, MSG_B, MSG2_A, MSG2_B, SIG_A, SIG_B, K, TX, SAME = range(11)
NCOLS = 11

# Distinct signers ``SAME`` looks back to (a block has a few clients and peers); past that many, a row's
# signer is matched against these only and may name itself although an earlier row has its bytes.
MAX_DISTINCT = 64


@nb.njit(cache=True, nogil=True)
def _varint(buf, pos, end, most):
    """(value, position after it), or (0, -1) when it runs past ``end``, is longer than ``most`` bytes or
    is not minimal."""
    v = np.int64(0)
    shift = 0
    for j in range(most):
        if pos >= end:
            return np.int64(0), np.int64(-1)
        b = np.int64(buf[pos])
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0 and j > 0:
                return np.int64(0), np.int64(-1)
            return v, np.int64(pos)
        shift += 7
    return np.int64(0), np.int64(-1)


@nb.njit(cache=True, nogil=True)
def _field(buf, pos, end):
    """The field at ``pos``: (number, wire type, a, b, next): for wire type 2 its content is buf[a:b], for
    0 ``a`` is its value; next is -1 when the field is not in the accepted subset."""
    tag, p = _varint(buf, pos, end, 4)
    if p < 0:
        return 0, 0, np.int64(0), np.int64(0), np.int64(-1)
    num, wt = tag >> 3, tag & 7
    if num < 1:
        return 0, 0, np.int64(0), np.int64(0), np.int64(-1)
    if wt == 0:
        v, q = _varint(buf, p, end, 9)
        return num, wt, v, v, q
    if wt == 2:
        n, q = _varint(buf, p, end, 5)
        if q < 0 or n > end - q:
            return 0, 0, np.int64(0), np.int64(0), np.int64(-1)
        return num, wt, q, q + n, q + n
    size = 8 if wt == 1 else (4 if wt == 5 else -1)
    if size < 0 or size > end - p:
        return 0, 0, np.int64(0), np.int64(0), np.int64(-1)
    return num, wt, p, p + size, p + size


@nb.njit(cache=True, nogil=True)
def _next(buf, pos, end, last, repeated):
    """``_field``, with next = -1 also when the field's number is not above ``last`` (the previous field's)
    unless it is ``repeated`` (0: none), a repeated field whose elements come back to back."""
    num, wt, x, y, nxt = _field(buf, pos, end)
    if nxt >= 0 and (num < last or (num == last and num != repeated)):
        nxt = np.int64(-1)
    return num, wt, x, y, nxt


@nb.njit(cache=True, nogil=True)
def _ascii(buf, a, b):
    for j in range(a, b):
        if buf[j] >= 0x80:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _channel_header_ok(buf, a, b):
    """An ENDORSER_TRANSACTION ChannelHeader (type 1, version 2, channel_id 4, tx_id 5)."""
    pos, last, htype = a, 0, 0
    while pos < b:
        last, wt, x, y, pos = _next(buf, pos, b, last, 0)
        if pos < 0 or ((last == 1 or last == 2) and wt != 0):
            return False
        if last == 1:
            htype = x
        elif (last == 4 or last == 5) and (wt != 2 or not _ascii(buf, x, y)):
            return False
    return htype == ENDORSER_TRANSACTION


@nb.njit(cache=True, nogil=True)
def _two_bytes_fields(buf, a, b, out):
    """A message read as fields 1 and 2 of type bytes (others skipped): out[0:2] and out[2:4] their spans
    (empty when absent).  False when outside the subset."""
    out[0] = out[1] = out[2] = out[3] = a
    pos, last = a, 0
    while pos < b:
        last, wt, x, y, pos = _next(buf, pos, b, last, 0)
        if pos < 0:
            return False
        if last == 1 or last == 2:
            if wt != 2:
                return False
            out[2 * last - 2] = x
            out[2 * last - 1] = y
    return True


@nb.njit(cache=True, nogil=True)
def _endorsed_action(buf, a, b, rows, r, k, sp, i):
    """ChaincodeEndorsedAction (proposal_response_payload 1, endorsements 2 repeated): a row per
    endorsement from ``rows[r]``; returns the next free row, or -1 outside the subset."""
    pos, last = a, 0
    pa = pb = a
    first = r
    while pos < b:
        last, wt, x, y, pos = _next(buf, pos, b, last, 2)
        if pos < 0 or ((last == 1 or last == 2) and wt != 2):
            return -1
        if last == 1:
            pa, pb = x, y
        elif last == 2:
            if r >= rows.shape[0] or not _two_bytes_fields(buf, x, y, sp):
                return -1
            if sp[0] == sp[1] or sp[2] == sp[3]:  # no endorser or no signature: the reference words it
                return -1
            rows[r, SIGNER_A], rows[r, SIGNER_B] = sp[0], sp[1]
            rows[r, MSG2_A], rows[r, MSG2_B] = sp[0], sp[1]
            rows[r, SIG_A], rows[r, SIG_B] = sp[2], sp[3]
            rows[r, K] = k + r - first
            rows[r, TX] = i
            r += 1
    if r == first:
        return -1  # an action without endorsements
    for j in range(first, r):
        rows[j, MSG_A], rows[j, MSG_B] = pa, pb
    return r


@nb.njit(cache=True, nogil=True)
def _transaction(buf, a, b, rows, r, sp, i):
    """peer.Transaction: actions (1, repeated) -> TransactionAction (header 1, payload 2) ->
    ChaincodeActionPayload (chaincode_proposal_payload 1, action 2) -> ChaincodeEndorsedAction."""
    pos, last = a, 0
    first = r
    while pos < b:
        last, wt, x, y, pos = _next(buf, pos, b, last, 1)
        if pos < 0:
            return -1
        if last != 1:
            continue
        if wt != 2 or not _two_bytes_fields(buf, x, y, sp):
            return -1
        if not _two_bytes_fields(buf, sp[2], sp[3], sp):  # the action's payload
            return -1
        ca, cb = sp[2], sp[3]
        if ca == cb:
            return -1  # no endorsed action: an action without endorsements
        r = _endorsed_action(buf, ca, cb, rows, r, r - first, sp, i)
        if r < 0:
            return -1
    return r if r > first else -1  # no actions: the reference words it


@nb.njit(cache=True, nogil=True)
def _envelope(buf, a, b, rows, r, sp, i):
    """One envelope: its signature rows from ``rows[r]``; returns the next free row, or -1 to decline."""
    num, wt, pa, pb, pos = _field(buf, a, b)
    if pos < 0 or num != 1 or wt != 2 or pa == pb:
        return -1
    num, wt, sa, sb, pos = _field(buf, pos, b)
    if pos != b or num != 2 or wt != 2 or sa == sb:
        return -1
    # Payload (header 1, data 2) -> Header (channel_header 1, signature_header 2)
    if not _two_bytes_fields(buf, pa, pb, sp):
        return -1
    ha, hb, da, db = sp[0], sp[1], sp[2], sp[3]
    if ha == hb and hb == pa:
        return -1  # no header
    if not _two_bytes_fields(buf, ha, hb, sp):
        return -1
    sha, shb = sp[2], sp[3]
    if not _channel_header_ok(buf, sp[0], sp[1]):
        return -1
    if not _two_bytes_fields(buf, sha, shb, sp) or sp[0] == sp[1]:
        return -1  # no creator
    if r >= rows.shape[0]:
        return -1
    rows[r, SIGNER_A], rows[r, SIGNER_B] = sp[0], sp[1]
    rows[r, MSG_A], rows[r, MSG_B] = pa, pb
    rows[r, MSG2_A], rows[r, MSG2_B] = pb, pb
    rows[r, SIG_A], rows[r, SIG_B] = sa, sb
    rows[r, K] = -1
    rows[r, TX] = i
    return _transaction(buf, da, db, rows, r + 1, sp, i)


@nb.njit(cache=True, nogil=True)
def _equal(buf, a, b, n):
    """buf[a:a+n] == buf[b:b+n], in 64-byte steps without a branch inside each, so that LLVM vectorises."""
    a, b, n = np.uint64(a), np.uint64(b), np.uint64(n)
    j = np.uint64(0)
    while j < n:
        stop = min(j + np.uint64(64), n)
        diff = np.uint8(0)
        for t in range(j, stop):
            diff |= buf[a + t] ^ buf[b + t]
        if diff:
            return False
        j = stop
    return True


@nb.njit(cache=True, nogil=True)
def _same_signers(buf, rows, r):
    firsts = np.empty(MAX_DISTINCT, dtype=np.int64)
    nd = 0
    for i in range(r):
        a, n = rows[i, SIGNER_A], rows[i, SIGNER_B] - rows[i, SIGNER_A]
        f = i
        for d in range(nd):
            j = firsts[d]
            if rows[j, SIGNER_B] - rows[j, SIGNER_A] == n and _equal(buf, rows[j, SIGNER_A], a, n):
                f = j
                break
        if f == i and nd < MAX_DISTINCT:
            firsts[nd] = i
            nd += 1
        rows[i, SAME] = f


@nb.njit(cache=True, nogil=True)
def _scan(buf, offsets, rows, ok, row_off):
    sp = np.empty(4, dtype=np.int64)
    r = 0
    row_off[0] = 0
    for i in range(offsets.shape[0] - 1):
        nr = _envelope(buf, offsets[i], offsets[i + 1], rows, r, sp, i)
        if nr < 0:
            ok[i] = 0
        else:
            ok[i] = 1
            r = nr
        row_off[i + 1] = r
    _same_signers(buf, rows, r)
    return r


def scan_endorser_envelopes(buf: np.ndarray, offsets: np.ndarray):
    """(ok (N,) uint8, row_off (N+1,) int64, rows (R, NCOLS) int64) for the N envelopes
    ``buf[offsets[i]:offsets[i+1]]`` (``buf`` 1-D uint8, ``offsets`` (N+1,) int64, non-decreasing, within
    ``buf``).  Envelope i's signature rows are ``rows[row_off[i]:row_off[i+1]]`` (none where ``ok[i]`` is 0,
    a declined envelope).  Every read is bounds-checked against its parent span."""
    if buf.dtype != np.uint8 or buf.ndim != 1 or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise TypeError("buf must be 1-D uint8 and offsets 1-D int64")
    n = offsets.shape[0] - 1
    if n < 0 or (n and (offsets[0] < 0 or offsets[-1] > buf.shape[0] or np.any(np.diff(offsets) < 0))):
        raise ValueError("offsets must be non-decreasing and within buf")
    # a row takes at least 8 bytes of its envelope (an endorsement: tag, length, two 1-byte fields)
    cap = int(offsets[-1] - offsets[0]) // 8 + 1 if n else 0
    rows = np.empty((cap, NCOLS), dtype=np.int64)
    ok = np.empty(n, dtype=np.uint8)
    row_off = np.empty(n + 1, dtype=np.int64)
    r = _scan(buf, offsets, rows, ok, row_off)
    return ok, row_off, rows[:r]
