"""``validate_block``: one block, every check, signatures verified in batches.

Order: parse; txids in one hash batch; header PoW; input classification (hash/template checks, sighash
preimages: P2PKH SIGHASH_ALL spends of pre-BIP66 blocks in one Numba kernel call, kernels/bitcoin_p2pkh.py,
and every other input through the Python classifier in inputs.py, the reference the kernel is tested
against); one SHA-256d batch over the kernel's preimages, whose signatures then verify on helper threads
(``start_verify_batch``) while this thread checks the Merkle root and mutation, the CheckBlock structure
rules and the witness commitment and classifies the inputs the kernel declined; one SHA-256d batch and one
``verify_batch`` over the remaining (signature, key) pairs; replay of each input's CHECKSIG/CHECKMULTISIG
over the verdicts.  The overlap matters because the Python stages hold the GIL: on two cores it hides
them behind verification (block 277647: ~9.9 -> see README).
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager

import numpy as np

from ..signatures import start_verify_batch, verify_batch
from ..hashing import hash_spans
from ..native_threads import resolve_threads
from ..errors import InvalidType
from . import report as R
from .checkblock import MAX_MONEY, check_header, check_structure, check_witness_commitment, merkle_root
from .inputs import Batch, Classifier, Rules
from .sighash import ONE
from .script import coinbase_height, hash160_spans
from .wire import Block, Malformed, display_hex, parse_block


_ZERO64 = bytes(64)
# The P2PKH candidates go to the kernel and to verification in two slices only from this many per slice.
_FIRST_SLICE_MIN = 64
# The P2PKH kernel (kernels/bitcoin_p2pkh.py) in front of the Python classifier; tests turn it off to
# compare it with the Python paths, which stay the reference.
P2PKH_KERNEL = True


def validate_block(raw, prevouts=None, *, threads: int | None = None, now: int | None = None,
                   check_pow: bool = True) -> R.BitcoinReport:
    """Validate one serialized block.

    ``prevouts`` maps (txid hex in display order, vout) to (amount in satoshi, scriptPubKey bytes), as
    ``load_prevouts`` returns; outputs created earlier in the same block are found without it.  Without
    ``prevouts`` P2PKH and P2SH-multisig inputs are checked against the script their scriptSig implies
    (counted in ``implied_scripts``) and other inputs are skipped by reason.  ``now`` (Unix time) enables
    the header's future-time rule; ``check_pow=False`` skips proof of work (test blocks).
    Bad data never raises; a non-bytes ``raw`` raises InvalidType.
    """
    if isinstance(raw, memoryview) or isinstance(raw, bytearray):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise InvalidType(f"raw block must be bytes, not {type(raw).__name__}")
    if prevouts is not None and not isinstance(prevouts, dict):
        raise InvalidType(f"prevouts must be a dict or None, not {type(prevouts).__name__}")
    resolve_threads(threads)
    rep = R.BitcoinReport(prevouts_used=prevouts is not None)
    t = _Timer(rep)
    try:
        block = parse_block(raw)
    except Malformed as e:
        rep.add(R.MALFORMED, e.detail, e.tx_index)
        return rep
    t.lap("parse")
    txs = block.txs
    rep.n_tx = len(txs)
    rep.n_inputs = sum(len(tx.vin) for tx in txs if not tx.is_coinbase())
    txids = _set_txids(block, raw, threads)
    t.lap("txids")

    block_hash = hashlib.sha256(hashlib.sha256(block.header.raw).digest()).digest()
    rep.block_hash = display_hex(block_hash)
    rep.pow_ok = check_header(block, block_hash, rep, check_pow_=check_pow, now=now)

    # The inputs' signatures verify on helper threads while this thread does the block-level checks; their
    # errors are kept apart meanwhile so the report lists them in the same order as a serial run would.
    input_errors: list = []
    with _errors_into(rep, input_errors):
        job = _start_inputs(block, raw, prevouts, rep, threads, t)
    try:
        root, mutated = merkle_root(txids, threads)
        rep.mutated = mutated
        rep.merkle_ok = root == block.header.merkle_root and bool(txs)
        if not rep.merkle_ok:
            rep.add(R.BAD_MERKLE_ROOT, f"header commits to {display_hex(block.header.merkle_root)}, "
                    f"transactions hash to {display_hex(root)}")
        if mutated:
            rep.add(R.MUTATED, "Merkle tree has a duplicated pair (CVE-2012-2459)")
        check_structure(block, rep)
        check_witness_commitment(block, rep)
        t.lap("block")
    finally:
        with _errors_into(rep, input_errors):
            _finish_inputs(job, rep, threads, t)
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


def _set_txids(block: Block, raw: bytes, threads) -> np.ndarray:
    """Txids (and wtxids) of every transaction in one hash call; returns the (N, 32) txid array."""
    txs = block.txs
    if not txs:
        return np.zeros((0, 32), dtype=np.uint8)
    seg = [i for i, tx in enumerate(txs) if tx.has_witness]
    if seg:
        buf, offsets = _spans([tx.stripped for tx in txs])
    else:  # without witnesses the transactions lie back to back in the block: hash them in place
        lens = np.fromiter((len(tx.raw) for tx in txs), dtype=np.int64, count=len(txs))
        offsets = np.zeros(len(txs) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        offsets += block.tx_start
        buf = np.frombuffer(raw, dtype=np.uint8)
    ids = hash_spans("sha256d", buf, offsets, threads=threads)
    for tx, h in zip(txs, ids):
        tx.txid = h.tobytes()
    if seg:
        wbuf, woffs = _spans([txs[i].raw for i in seg])
        for i, h in zip(seg, hash_spans("sha256d", wbuf, woffs, threads=threads)):
            txs[i].wtxid = h.tobytes()
    for tx in txs:
        if not tx.has_witness:
            tx.wtxid = tx.txid
    return ids


def block_height(block: Block) -> int | None:
    """BIP34 height from the coinbase scriptSig (version >= 2 blocks), or None."""
    if block.header.version < 2 or not block.txs or not block.txs[0].vin:
        return None
    return coinbase_height(block.txs[0].vin[0].script_sig)


class _InputJob:
    """What ``_start_inputs`` leaves for ``_finish_inputs``: the general batch, the P2PKH kernel's
    candidates and output, and the verification of the kernel's pairs running in the background."""

    __slots__ = ("acc", "batch", "cand", "cls", "implied_ok", "pending", "taken", "txs")


def _start_inputs(block: Block, raw: bytes, prevouts, rep: R.BitcoinReport, threads, t) -> _InputJob:
    """Classify every input, run the P2PKH kernel over its candidates, hash their preimages and start
    verifying their signatures on helper threads (``start_verify_batch``)."""
    batch = Batch()
    cls = Classifier(rep, batch, Rules(block_height(block)))
    classify = cls.classify
    implied_ok = prevouts is None
    get_prevout = None if prevouts is None else prevouts.get
    txs = block.txs
    # outputs created earlier in the block, found through their transaction (one entry per transaction,
    # not per output; a repeated txid maps to its latest transaction, as a per-output dict would)
    created: dict[bytes, int] = {}
    spent: dict[bytes, int] = {}  # outpoint (36 bytes as serialized) -> transaction spending it
    fees, fees_known = 0, prevouts is not None
    # Candidates for the P2PKH kernel (a 25-byte prevout script in a witness-free transaction of a pre-BIP66
    # block) go to it in one call after this loop, and those it declines to ``classify`` then; every other
    # input is classified at once.  The order of classification is invisible: errors are sorted by location.
    cand = []  # (transaction, input, prevout)
    no_kernel = cls.rules.strict_der or not P2PKH_KERNEL
    # bound methods hoisted out of the per-input loop (732 inputs of block 277647: ~0.85 -> ~0.6 ms)
    spent_at, created_at, cand_add = spent.setdefault, created.get, cand.append
    for ti, tx in enumerate(txs):
        if ti > 0 and not tx.is_coinbase():
            use_kernel = not (no_kernel or tx.has_witness)
            value_in, known = 0, True
            k = -1
            for txin in tx.vin:
                k += 1
                s = spent_at(txin.outpoint, ti)
                if s != ti:  # (twice in one transaction is CheckTransaction's inputs_duplicate)
                    rep.add(R.DOUBLE_SPEND, f"transaction {ti} input {k} spends an output transaction "
                            f"{s} already spent", ti, k)
                pv = None
                ph = txin.prev_hash
                j = created_at(ph)
                if j is not None:
                    vout = txs[j].vout
                    if txin.prev_n < len(vout):
                        out = vout[txin.prev_n]
                        pv = (out.value, out.script_pubkey)
                if pv is None:
                    if get_prevout is not None:
                        pv = get_prevout((ph[::-1].hex(), txin.prev_n))
                    if pv is None:
                        known = False
                        classify(tx, ti, k, pv, implied_ok)
                        continue
                if use_kernel and len(pv[1]) == 25:
                    cand_add((ti, k, pv))
                else:
                    classify(tx, ti, k, pv, implied_ok)
                value_in += pv[0]
            fees_known &= known
            if known:
                fees += _check_values(tx, ti, value_in, rep)
        created[tx.txid] = ti
    height = block_height(block)
    if fees_known and height is not None and block.txs and block.txs[0].is_coinbase():
        # Core's ConnectBlock: the coinbase may claim at most the subsidy plus the fees
        subsidy = (50 * 100_000_000) >> (height // 210_000) if height // 210_000 < 64 else 0
        claimed = sum(o.value for o in block.txs[0].vout)
        if claimed > subsidy + fees:
            rep.add(R.BAD_CB_AMOUNT, f"coinbase pays {claimed}, limit {subsidy + fees} (subsidy {subsidy} at "
                    f"height {height} + fees {fees})", 0)
    t.lap("classify")
    job = _InputJob()
    job.txs, job.cls, job.batch, job.implied_ok = txs, cls, batch, implied_ok
    job.cand, job.taken, job.acc, job.pending = None, None, np.zeros(0, dtype=np.int64), []
    if not cand:
        return job
    job.cand = tuple(zip(*cand))
    cand_t, cand_k, cand_pv = job.cand
    spks = [pv[1] for pv in cand_pv]
    n = len(cand)
    # In slices, so that the helper threads start verifying the first while this thread runs the kernel and
    # hashes the preimages of the rest (a quarter first: the helpers' head start, little added overhead).
    bounds = [0, n // 4, n] if n >= 4 * _FIRST_SLICE_MIN and resolve_threads(threads) > 1 else [0, n]
    taken_parts, acc_parts = [], []
    try:
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            taken, pre, pre_off, rs_k, key_pos, key_len = _kernel_fast(block, raw, cand_t[lo:hi], cand_k[lo:hi],
                                                                      spks[lo:hi])
            taken_parts.append(taken)
            acc = np.flatnonzero(taken)
            if len(acc):
                acc_parts.append(acc + lo)
                # declined candidates have empty spans, so the taken ones lie back to back
                offs = np.append(pre_off[acc], pre_off[-1])
                digests = hash_spans("sha256d", pre, offs, threads=threads)
                keys = [raw[a : a + m] for a, m in zip(key_pos[acc].tolist(), key_len[acc].tolist())]
                job.pending.append(start_verify_batch("ecdsa-secp256k1", keys, digests, rs_k[acc], threads=threads))
    except BaseException:
        try:
            _results(job.pending)  # join what started, so its helpers stop and its key slots come free
        finally:
            raise
    job.taken = np.concatenate(taken_parts)
    if acc_parts:
        job.acc = np.concatenate(acc_parts)
    t.lap("kernel")
    return job


def _finish_inputs(job: _InputJob, rep: R.BitcoinReport, threads, t) -> None:
    """Classify the candidates the kernel declined, verify the general batch, join the background
    verification and replay every input's checks over the verdicts."""
    txs, cls, batch, implied_ok, acc = job.txs, job.cls, job.batch, job.implied_ok, job.acc
    classify = cls.classify
    try:
        if job.taken is not None:
            cand_t, cand_k, cand_pv = job.cand
            for c in np.flatnonzero(job.taken == 0).tolist():
                classify(txs[cand_t[c]], cand_t[c], cand_k[c], cand_pv[c], implied_ok)
        t.lap("classify")
        verdict = _verify_general(batch, threads)
        t.lap("general")
    finally:
        fast_ok = _results(job.pending)
    t.lap("verify")

    if len(acc):
        cand_t, cand_k, _ = job.cand
        rep.inputs_checked += len(acc)
        rep.sigs_checked += len(acc)
        for i in acc[~fast_ok].tolist():
            ti, k = cand_t[i], cand_k[i]
            rep.sigs_failed += 1
            rep.add(R.BAD_SIGNATURE, f"transaction {ti} input {k}: P2PKH: signature does not verify", ti, k)
    if batch.fast_pair:
        fp = np.asarray(batch.fast_pair, dtype=np.int64)
        good = fp >= 0
        good[good] = verdict[fp[good]]
        n_fast = len(fp)
        rep.inputs_checked += n_fast
        rep.sigs_checked += n_fast
        for i in np.flatnonzero(~good).tolist():
            ti, k = batch.fast_ti[i], batch.fast_k[i]
            rep.sigs_failed += 1
            rep.add(R.BAD_SIGNATURE, f"transaction {ti} input {k}: {batch.fast_label[i]}: signature does not "
                    "verify", ti, k)
    for chk in batch.inputs:
        got = chk.matched(verdict)
        rep.inputs_checked += 1
        rep.sigs_checked += chk.m
        if got != chk.m:
            rep.sigs_failed += chk.m - got
            what = "signature does not verify" if chk.m == 1 else f"only {got} of {chk.m} signatures match in order"
            rep.add(R.BAD_SIGNATURE, f"transaction {chk.tx_index} input {chk.input_index}: {chk.kind}: {what}",
                    chk.tx_index, chk.input_index)


def _results(pending: list) -> np.ndarray:
    """The verdicts of every background verification, in order; each is joined even if one raises."""
    out, err = [], None
    for p in pending:
        try:
            out.append(p.result())
        except BaseException as e:  # noqa: BLE001 - re-raised below, after the others released their slots
            err = err or e
    if err is not None:
        raise err
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _verify_general(batch: Batch, threads) -> np.ndarray:
    """Hash the general batch's preimages and verify its (signature, key) pairs; the verdicts."""
    n_pre = len(batch.pre_lens)
    n_gen = len(batch.pair_sig)
    if not n_gen:
        return np.zeros(0, dtype=bool)
    # one extra row for Core's uint256(1): signatures with digest source -1 index it from the end
    digests = np.empty((n_pre + 1, 32), dtype=np.uint8)
    digests[-1] = np.frombuffer(ONE, dtype=np.uint8)
    if n_pre:
        offsets = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(np.asarray(batch.pre_lens, dtype=np.int64), out=offsets[1:])
        buf = np.frombuffer(b"".join(batch.parts), dtype=np.uint8)
        digests[:-1] = hash_spans("sha256d", buf, offsets, threads=threads)
    rs = np.frombuffer(b"".join(x or _ZERO64 for x in batch.sig_rs), dtype=np.uint8).reshape(-1, 64)
    ps = np.asarray(batch.pair_sig, dtype=np.int64)
    src = np.asarray(batch.sig_digest, dtype=np.int64)[ps]
    return verify_batch("ecdsa-secp256k1", batch.pair_key, digests[src], rs[ps], threads=threads)


def _check_values(tx, ti: int, value_in: int, rep: R.BitcoinReport) -> int:
    """Core's CheckTxInputs value rules for a transaction whose every input amount is known; the fee."""
    if not 0 <= value_in <= MAX_MONEY:
        rep.add(R.INPUTS_VALUE_RANGE, f"transaction {ti} spends {value_in} satoshi in total", ti)
        return 0
    value_out = sum(o.value for o in tx.vout)
    if value_in < value_out:
        rep.add(R.IN_BELOW_OUT, f"transaction {ti} spends {value_in} but pays {value_out}", ti)
        return 0
    return value_in - value_out


def _kernel_fast(block: Block, raw: bytes, cand_t, cand_k, cand_spk):
    """Run the P2PKH kernel over the candidates; its arrays (see ``p2pkh_all_batch``)."""
    from ..kernels.bitcoin_p2pkh import p2pkh_all_batch

    txs = block.txs
    lens = np.fromiter((len(tx.raw) for tx in txs), dtype=np.int64, count=len(txs))
    ends = np.cumsum(lens) + block.tx_start
    ct = np.asarray(cand_t, dtype=np.int64)
    hi = ends[ct]
    lo = hi - lens[ct]
    spk = np.frombuffer(b"".join(cand_spk), dtype=np.uint8).reshape(-1, 25)
    return p2pkh_all_batch(np.frombuffer(raw, dtype=np.uint8), lo, hi, np.asarray(cand_k, dtype=np.int64), spk,
                           hash160=hash160_spans)


class _Timer:
    """Wall time per stage on the calling thread, summed where a stage comes back (``classify``)."""

    def __init__(self, rep):
        self.rep = rep
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.rep.timings[name] = round(self.rep.timings.get(name, 0.0) + now - self.t, 6)
        self.t = now
