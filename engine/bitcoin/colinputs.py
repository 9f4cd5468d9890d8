"""The per-input loop of ``inputrun.InputRun.feed`` over the scan's columns, for a block parsed in one piece.

``feed``'s loop reads every input's outpoint, looks for a double spend, finds the prevout (an output made
earlier in the block, else the caller's ``prevouts``), sums the transaction's input value and sends the input
to the P2PKH kernel or to the Python classifier.  Here the outpoints come straight from the scan's input
table (kernels/bitcoin_scan.py) without a Python object per input: double spends and in-block prevouts are
found with one ``first_seen`` pass each (kernels/rows.py) and only the prevouts dictionary lookups, which
are keyed by Python strings, stay per input.  The loop in ``feed`` remains the reference and the path for
blocks parsed in pieces or whose transactions repeat a txid; the tests (tests/test_bitcoin_colinputs.py)
hold the two to the same report on built blocks, the stored blocks and block 277647 with tampered prevouts.

Block 277647 at one thread, thread CPU time: ~0.7 ms of per-input loop against ~0.3 ms here.
"""
from __future__ import annotations

import os
from itertools import compress
from operator import itemgetter

import numpy as np

from ..kernels import bitcoin_scan as S
from . import report as R
from .checkblock import MAX_MONEY

# Random per process, so outpoints cannot be chosen offline to collide in first_seen's table (which stays
# exact either way: every candidate is confirmed by comparing the whole row).
_MULT = int.from_bytes(os.urandom(8), "little") | 1
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def feed_all(run, tables, no_kernel: bool, value_out, check_values) -> bool:
    """``feed(0)`` for a run whose transactions are all parsed, from ``tables`` (``BlockParser.scan_tables``).
    Returns False, having changed nothing, where the loop in ``feed`` must judge the block instead (the
    transactions repeat a txid, so which one an in-block spend finds depends on the order)."""
    from ..kernels.rows import first_seen, first_seen_spans, take_rows

    txs = run.block.txs
    nt = len(txs)
    if nt == 0:
        return False
    buf, ttab, ins, outs = tables
    # every transaction but the first and the coinbases has its inputs checked (as in feed)
    skip = np.fromiter((tx.coinbase for tx in txs), dtype=bool, count=nt)
    skip[0] = True
    i0 = ttab[:, S.T_IN0]
    per_tx = np.diff(i0)
    tx_of = np.repeat(np.arange(nt), per_tx)
    rows = np.flatnonzero(~skip[tx_of])
    ti_of = tx_of[rows]
    k_of = rows - i0[ti_of]
    op = np.ascontiguousarray(ins[rows, S.I_OP])
    prev_n = ins[rows, S.I_PREV_N]
    n = rows.size
    txids = np.frombuffer(b"".join([tx.txid for tx in txs]), dtype=np.uint8).reshape(nt, 32)
    prev_hash = take_rows(buf, op, 32)
    seen = first_seen(np.concatenate((txids, prev_hash)), _MULT)
    if (seen[:nt] != np.arange(nt)).any():
        return False
    rep = run.rep
    # double spends: the first input of the block (of those checked) that spends the same outpoint
    first = first_seen_spans(buf, op, 36, _MULT)
    spender = ti_of[first]
    for i in np.flatnonzero(spender != ti_of).tolist():
        ti, k = int(ti_of[i]), int(k_of[i])
        rep.add(R.DOUBLE_SPEND, f"transaction {ti} input {k} spends an output transaction "
                f"{int(spender[i])} already spent", ti, k)
    # prevouts made earlier in the block (feed's ``created``: transactions before this one)
    maker = seen[nt:]
    inblock = (maker < ti_of) & (prev_n < _n_out(ttab, maker, nt))
    pvs: list = [None] * n
    if run.prevouts is not None:
        get = run.prevouts.get
        # the display-order txids as strings in one hex() call, split at its separators
        hexes = prev_hash[:, ::-1].tobytes().hex(" ", -32).split()
        pvs = list(map(get, zip(hexes, prev_n.tolist())))
    at = np.flatnonzero(inblock)
    if at.size:
        orow = ttab[maker[at], S.T_OUT0] + prev_n[at]
        raw = run.raw
        for i, v, a, b in zip(at.tolist(), outs[orow, S.O_VALUE].tolist(), outs[orow, S.O_SPK].tolist(),
                              outs[orow, S.O_HI].tolist()):
            pvs[i] = (v, raw[a:b])
    # feed's decisions, made for all inputs at once: an unknown prevout leaves its transaction's fee
    # unknown and goes to the classifier; a known 25-byte script in a witness-free transaction (pre-BIP66
    # rules) is a kernel candidate; any other known prevout goes to the classifier
    has = np.fromiter(map(bool, pvs), dtype=bool, count=n)
    kpv = list(compress(pvs, has))
    spk_len = np.full(n, -1, dtype=np.int64)
    spk_len[has] = np.fromiter(map(len, map(_SECOND, kpv)), dtype=np.int64, count=len(kpv))
    kernel_tx = np.fromiter((not (no_kernel or tx.has_witness) for tx in txs), dtype=bool, count=nt)
    cand = kernel_tx[ti_of] & (spk_len == 25)
    known = np.ones(nt, dtype=bool)
    known[ti_of[~has]] = False
    implied_ok = run.prevouts is None
    classify = run.cls.classify
    for i in np.flatnonzero(~cand).tolist():
        ti = int(ti_of[i])
        classify(txs[ti], ti, int(k_of[i]), pvs[i], implied_ok)
    c = np.flatnonzero(cand)
    run.cand_t += ti_of[c].tolist()
    run.cand_k += k_of[c].tolist()
    run.cand_pv += [pvs[i] for i in c.tolist()]
    value_in = _sums(list(map(_FIRST, kpv)), ti_of[has], nt)
    fees, fees_known = run.fees, run.fees_known
    checked = np.flatnonzero(~skip)
    fees_known &= bool(known[checked].all())
    checked = checked[known[checked]]
    if value_out is not None and isinstance(value_in, np.ndarray):
        # feed's per-transaction value rules, vectorised; a failing transaction goes through check_values
        # itself (its error and detail), the others add their fee
        vi, vo = value_in[checked], np.asarray(value_out, dtype=np.int64)[checked]
        bad = (vi < 0) | (vi > MAX_MONEY) | (vi < vo)
        fees += sum((vi - vo)[~bad].tolist())  # each fee fits int64 (|vo| < 2**62); their sum may not
        checked = checked[bad]
    for ti in checked.tolist():
        fees += check_values(txs[ti], ti, int(value_in[ti]) if isinstance(value_in, np.ndarray) else value_in[ti],
                             rep, None if value_out is None else value_out[ti])
    run.fees, run.fees_known = fees, fees_known
    return True


def _sums(values: list, tx: np.ndarray, nt: int) -> np.ndarray | list:
    """Each transaction's total of ``values`` (``tx[i]`` is value i's transaction, nondecreasing), exact: an
    int64 array where no partial sum can overflow, else a list of Python ints."""
    if not values:
        return np.zeros(nt, dtype=np.int64)
    out = [0] * nt
    try:
        v = np.fromiter(values, dtype=np.int64, count=len(values))
    except OverflowError:
        v = None
    if v is not None and sums_fit_int64(v):
        cs = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(v, out=cs[1:])
        ends = np.searchsorted(tx, np.arange(nt + 1))
        return np.diff(cs[ends])
    for t, x in zip(tx.tolist(), values):
        out[t] += x
    return out


def sums_fit_int64(v: np.ndarray) -> bool:
    """No partial sum of ``v`` (int64) can overflow int64 (magnitudes as Python ints: abs(-2**63) wraps)."""
    return max(-int(v.min()), int(v.max())) * len(v) < 1 << 62


def _n_out(ttab: np.ndarray, maker: np.ndarray, nt: int) -> np.ndarray:
    """Outputs of transaction ``maker[i]`` (0 where it is no transaction of the block)."""
    o = ttab[:, S.T_OUT0]
    m = np.minimum(maker, nt - 1)
    return np.where(maker < nt, o[m + 1] - o[m], 0)
