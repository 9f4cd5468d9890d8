"""``validate_block``: one block, every check, signatures verified in batches.

Order, per piece of the block (two pieces from two threads on: the first 40% of its bytes, then the rest;
one piece otherwise): parse (wire.BlockParser); txids in one hash batch; input classification
(double spends, values, prevouts, hash/template checks, sighash preimages: P2PKH SIGHASH_ALL spends of
pre-BIP66 blocks in one Numba kernel call, kernels/bitcoin_p2pkh.py, every other input through the Python
classifier in inputs.py, the reference the kernel is tested against); the kernel's preimages and their
signatures form one piece of the block's ``ledgerval.pipeline.Plan``, started at once (one SHA-256d batch,
then the signatures verifying on helper threads).  Then, on this thread while they verify: header PoW,
Merkle root and mutation, CheckBlock structure rules, witness commitment, the inputs the kernel declined,
and the plan's last piece: one SHA-256d batch and one verify batch over the remaining (signature, key)
pairs; last, the join of every piece and the replay of each input's CHECKSIG/CHECKMULTISIG over the
verdicts.

Why the pieces and the overlap: the Python stages hold the GIL, so on a second core the only parallel work
is native; starting verification after the first piece hides most of the Python behind it (block 277647 at
two threads, medians of interleaved runs: ~10 ms with one verification batch after all the Python, ~8.6 ms
now, see README).  Reports do not depend on the thread count: input errors are collected apart and merged
in serial order.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager

import numpy as np

from ..errors import InvalidType
from ..hashing import hash_spans
from ..native_threads import resolve_threads
from ..sigcache import check_sig_cache
from . import report as R
from .checkblock import check_header, check_structure, check_witness_commitment, merkle_root
from .inputrun import InputRun
from .wire import BlockParser, Malformed, display_hex

# Blocks are parsed and classified in two pieces (the first starting verification early) from this size.
_PIECE_MIN_BYTES = 16_384
# Where the pieces end, as fractions of the transactions' bytes: the first big enough to keep the helpers busy
# while this thread parses and classifies the rest (their verification runs slower beside this thread's
# Python), small enough to start them early.  Block 277647 at 2 threads, interleaved: 0.4 and 0.5 ahead
# of 0.25 and 0.6 by ~0.5 ms; three pieces no better than two.
_PIECES = (0.4,)
# The P2PKH kernel (kernels/bitcoin_p2pkh.py) in front of the Python classifier; tests turn it off to
# compare it with the Python paths, which stay the reference.
P2PKH_KERNEL = True


def validate_block(raw, prevouts=None, *, threads: int | None = None, now: int | None = None,
                   check_pow: bool = True, sig_cache=None) -> R.BitcoinReport:
    """Validate one serialized block.

    ``prevouts`` maps (txid hex in display order, vout) to (amount in satoshi, scriptPubKey bytes), as
    ``load_prevouts`` returns; outputs created earlier in the same block are found without it.  Without
    ``prevouts`` P2PKH and P2SH-multisig inputs are checked against the script their scriptSig implies
    (counted in ``implied_scripts``) and other inputs are skipped by reason.  ``now`` (Unix time) enables
    the header's future-time rule; ``check_pow=False`` skips proof of work (test blocks).  ``sig_cache``
    (a ``ledgerval.SignatureCache``) skips the (key, sighash, signature) triples it holds, stores the new
    successes and counts the skipped ones in ``cached_signatures``; the verdicts are the same without it.
    Bad data never raises; a non-bytes ``raw`` raises InvalidType.
    """
    if isinstance(raw, memoryview) or isinstance(raw, bytearray):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise InvalidType(f"raw block must be bytes, not {type(raw).__name__}")
    if prevouts is not None and not isinstance(prevouts, dict):
        raise InvalidType(f"prevouts must be a dict or None, not {type(prevouts).__name__}")
    t_threads = resolve_threads(threads)
    check_sig_cache(sig_cache)
    rep = R.BitcoinReport(prevouts_used=prevouts is not None)
    t = _Timer(rep)
    try:
        parser = BlockParser(raw)
    except Malformed as e:
        rep.add(R.MALFORMED, e.detail, e.tx_index)
        return rep
    block = parser.block
    # The transactions are parsed and their inputs classified in pieces when there are helper threads to
    # give work to: the P2PKH signatures of the first 40% of the block's bytes start verifying on them while
    # this thread parses and classifies the rest (then runs the block-level checks, below).
    tx_bytes = len(raw) - block.tx_start
    limits = [len(raw)]
    if t_threads > 1 and tx_bytes >= _PIECE_MIN_BYTES and P2PKH_KERNEL:
        limits[:0] = [block.tx_start + int(tx_bytes * f) for f in _PIECES]
    # The inputs' errors are kept apart while the block-level checks run, so that the report lists them in
    # the same order as a serial run would.
    input_errors: list = []
    run = InputRun(block, raw, parser.starts, prevouts, rep, threads, sig_cache, parser.scan_tables,
                   P2PKH_KERNEL)
    try:
        txid_parts = []
        for limit in limits:
            try:
                first = parser.parse_until(limit)
            except Malformed as e:
                run.abandon()
                rep = R.BitcoinReport(prevouts_used=prevouts is not None, timings=rep.timings)
                rep.add(R.MALFORMED, e.detail, e.tx_index)
                return rep
            t.lap("parse")
            txid_parts.append(_set_txids(block.txs[first:], raw, parser.starts[first:],
                                         1 if run.pending else threads))
            t.lap("txids")
            with _errors_into(rep, input_errors):
                run.feed(first, t)
        with _errors_into(rep, input_errors):
            run.close()
    except BaseException:
        run.abandon()
        raise
    txs = block.txs
    rep.n_tx = len(txs)
    rep.n_inputs = sum(tx.n_in for tx in txs if not tx.coinbase)
    txids = np.concatenate(txid_parts)
    # while helpers verify, the other cores are theirs: this thread's own native work runs on it alone
    aux = 1 if run.pending else threads
    try:
        block_hash = hashlib.sha256(hashlib.sha256(block.header.raw).digest()).digest()
        rep.block_hash = display_hex(block_hash)
        rep.pow_ok = check_header(block, block_hash, rep, check_pow_=check_pow, now=now)
        root, mutated = merkle_root(txids, aux)
        rep.mutated = mutated
        rep.merkle_ok = root == block.header.merkle_root and bool(txs)
        if not rep.merkle_ok:
            rep.add(R.BAD_MERKLE_ROOT, f"header commits to {display_hex(block.header.merkle_root)}, "
                    f"transactions hash to {display_hex(root)}")
        if mutated:
            rep.add(R.MUTATED, "Merkle tree has a duplicated pair (CVE-2012-2459)")
        check_structure(block, rep, raw, parser.starts, parser.columns())
        check_witness_commitment(block, rep)
        t.lap("block")
    finally:
        with _errors_into(rep, input_errors):
            run.finish(aux, t)
    rep.errors += input_errors
    # block-level errors first, then by transaction and input (a stable sort keeps each one's own order)
    rep.errors.sort(key=lambda e: (-1 if e.tx_index is None else e.tx_index,
                                   -1 if e.input_index is None else e.input_index))
    rep.ok = not rep.errors
    return rep


@contextmanager
def _errors_into(rep: R.BitcoinReport, errors: list):
    """Point ``rep.add`` at ``errors`` for the block of the with statement."""
    saved, rep.errors = rep.errors, errors
    try:
        yield
    finally:
        rep.errors = saved


def _spans(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """One buffer and (N+1) offsets for ``hash_spans``."""
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)), out=offsets[1:])
    return np.frombuffer(b"".join(parts), dtype=np.uint8), offsets


def _set_txids(txs: list, raw: bytes, starts: list[int], threads) -> np.ndarray:
    """Txids (and wtxids) of ``txs``, which start at ``starts`` in ``raw``, in one hash call; returns the
    (N, 32) txid array."""
    if not txs:
        return np.zeros((0, 32), dtype=np.uint8)
    seg = [i for i, tx in enumerate(txs) if tx.has_witness]
    if seg:
        buf, offsets = _spans([tx.stripped for tx in txs])
    else:  # without witnesses the transactions lie back to back in the block: hash them in place
        offsets = np.empty(len(txs) + 1, dtype=np.int64)
        offsets[:-1] = starts
        offsets[-1] = starts[-1] + len(txs[-1].raw)
        buf = np.frombuffer(raw, dtype=np.uint8)
    ids = hash_spans("sha256d", buf, offsets, threads=threads)
    flat = ids.tobytes()  # one copy, then 32-byte slices: ~2x faster than a tobytes() per row
    for tx, i in zip(txs, range(0, len(flat), 32)):
        tx.txid = tx.wtxid = flat[i:i + 32]
    if seg:
        wbuf, woffs = _spans([txs[i].raw for i in seg])
        for i, h in zip(seg, hash_spans("sha256d", wbuf, woffs, threads=threads)):
            txs[i].wtxid = h.tobytes()
    return ids


class _Timer:
    """Wall time per stage on the calling thread, summed where a stage comes back (``classify``)."""

    def __init__(self, rep):
        self.rep = rep
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.rep.timings[name] = round(self.rep.timings.get(name, 0.0) + now - self.t, 6)
        self.t = now
