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
from contextlib import contextmanager, suppress

import numpy as np

from ..errors import InvalidType
from ..hashing import hash_spans
from ..native_threads import resolve_threads
from ..pipeline import Execution, Plan, Ticket, join
from ..sigcache import check_sig_cache
from . import report as R
from .checkblock import MAX_MONEY, check_header, check_structure, check_witness_commitment, merkle_root
from .checks import Batch, Rules
from .inputs import Classifier
from .script import coinbase_height
from .sighash import ONE
from .wire import Block, BlockParser, Malformed, display_hex

_ZERO64 = bytes(64)
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
    run = _InputRun(block, raw, parser.starts, prevouts, rep, threads, sig_cache, parser.scan_tables)
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


class _InputRun:
    """The inputs of one block, fed a piece of its transactions at a time (``feed``), then ``close``d and
    ``finish``ed.  Each piece: the per-input loop (double spends, values, prevouts, classification), then
    the P2PKH kernel over the candidates of the pre-BIP66 rules (a 25-byte prevout script in a witness-free
    transaction), their preimages hashed and their signatures started on helper threads (one piece of
    ``self.plan``, owners (transaction, input)).  ``finish`` classifies what the kernel declined, runs the
    general batch as the plan's last piece, joins the others and replays every input's checks over the
    verdicts.  ``abandon``
    joins whatever was started (its helpers stop, nothing else is read) when the run ends early."""

    def __init__(self, block: Block, raw: bytes, starts: list[int], prevouts, rep: R.BitcoinReport, threads,
                 sig_cache=None, tables=None):
        self.block, self.raw, self.starts, self.rep, self.threads = block, raw, starts, rep, threads
        # BlockParser.scan_tables: the scan's tables, once parsing started, when it took the whole block (the
        # per-transaction output totals come from them in bulk)
        self.tables = tables
        self.sig_cache = sig_cache
        self.prevouts = prevouts
        self.batch = Batch()
        self.cls = None  # made at the first piece, which holds the coinbase (the block height sets the rules)
        # outputs created earlier in the block, found through their transaction (one entry per transaction,
        # not per output; a repeated txid maps to its latest transaction, as a per-output dict would)
        self.created: dict[bytes, int] = {}
        self.spent: dict[bytes, int] = {}  # outpoint (36 bytes as serialized) -> transaction spending it
        self.fees, self.fees_known = 0, prevouts is not None
        self.cand_t: list[int] = []
        self.cand_k: list[int] = []
        self.cand_pv: list = []
        self.taken: list[np.ndarray] = []
        self.plan = Plan()  # started once per piece (P2PKH kernel pairs), then for the general batch
        self.fast: list[Ticket] = []  # the kernel pairs' tickets, one per started piece
        self.fast_at: list[tuple] = []  # per ticket: (cand transactions, cand inputs, the candidates it holds)
        self.pending: list[Execution] = []

    def feed(self, first: int, t) -> None:
        """Check the inputs of transactions ``first`` to the last one parsed."""
        block, rep = self.block, self.rep
        txs = block.txs
        if self.cls is None:
            self.cls = Classifier(rep, self.batch, Rules(block_height(block)))
        classify = self.cls.classify
        implied_ok = self.prevouts is None
        get_prevout = None if self.prevouts is None else self.prevouts.get
        created = self.created
        # Kernel candidates go to it in one call after this loop (those it declines to ``classify`` in
        # ``finish``); every other input is classified at once.  The order of classification is invisible:
        # errors are sorted by location.
        no_kernel = self.cls.rules.strict_der or not P2PKH_KERNEL
        c0 = len(self.cand_t)
        # bound methods hoisted out of the per-input loop (732 inputs of block 277647: ~0.85 -> ~0.6 ms)
        spent_at, created_at = self.spent.setdefault, created.get
        cand_t, cand_k, cand_pv = self.cand_t.append, self.cand_k.append, self.cand_pv.append
        fees, fees_known = self.fees, self.fees_known
        value_out = _value_out(self.tables() if self.tables else None, first, len(txs))
        for ti in range(first, len(txs)):
            tx = txs[ti]
            if ti > 0 and not tx.coinbase:
                use_kernel = not (no_kernel or tx.has_witness)
                value_in, known = 0, True
                # the outpoints from the scan's rows where the input objects are not made (most inputs
                # never need them: block 277647 ~0.2 ms less), else from the objects
                rows = tx.input_rows()
                if rows is None:
                    ops, pns = [x.outpoint for x in tx.vin], [x.prev_n for x in tx.vin]
                else:
                    data, rows = rows
                    ops, pns = [data[r[0]:r[0] + 36] for r in rows], [r[4] for r in rows]
                k = -1
                for outpoint, prev_n in zip(ops, pns):
                    k += 1
                    s = spent_at(outpoint, ti)
                    if s != ti:  # (twice in one transaction is CheckTransaction's inputs_duplicate)
                        rep.add(R.DOUBLE_SPEND, f"transaction {ti} input {k} spends an output transaction "
                                f"{s} already spent", ti, k)
                    pv = None
                    ph = outpoint[:32]
                    j = created_at(ph)
                    if j is not None:
                        vout = txs[j].vout
                        if prev_n < len(vout):
                            out = vout[prev_n]
                            pv = (out.value, out.script_pubkey)
                    if pv is None:
                        if get_prevout is not None:
                            pv = get_prevout((ph[::-1].hex(), prev_n))
                        if pv is None:
                            known = False
                            classify(tx, ti, k, pv, implied_ok)
                            continue
                    if use_kernel and len(pv[1]) == 25:
                        cand_t(ti)
                        cand_k(k)
                        cand_pv(pv)
                    else:
                        classify(tx, ti, k, pv, implied_ok)
                    value_in += pv[0]
                fees_known &= known
                if known:
                    fees += _check_values(tx, ti, value_in, rep, None if value_out is None else value_out[ti])
            created[tx.txid] = ti
        self.fees, self.fees_known = fees, fees_known
        t.lap("classify")
        if len(self.cand_t) > c0:
            self._kernel(c0)
        t.lap("kernel")

    def _kernel(self, c0: int) -> None:
        """The P2PKH kernel over candidates c0 onwards; their signatures start verifying in the background."""
        raw, threads = self.raw, self.threads
        ct, ck = self.cand_t[c0:], self.cand_k[c0:]
        taken, pre, pre_off, rs_k, key_pos, key_len = _kernel_fast(self.block, raw, self.starts, ct, ck,
                                                                  [pv[1] for pv in self.cand_pv[c0:]])
        self.taken.append(taken)
        acc = np.flatnonzero(taken)
        if not len(acc):
            return
        # declined candidates have empty spans, so the taken ones lie back to back; once helpers verify,
        # every other core is theirs: hash on this thread alone
        offs = np.append(pre_off[acc], pre_off[-1])
        keys = [raw[a : a + m] for a, m in zip(key_pos[acc].tolist(), key_len[acc].tolist())]
        plan = self.plan
        digests = plan.hash_spans("sha256d", pre, offs)
        # owners are positions in the ticket: (transaction, input) pairs are made for failures only
        self.fast.append(plan.signatures("ecdsa-secp256k1", keys, plan.digests_of(digests), rs_k[acc]))
        self.fast_at.append((ct, ck, acc))
        # without the key cache: its lookup would run here, ahead of the helpers, and Bitcoin keys mostly
        # sign once (block 277647 at 2 threads: no slower warm, a little faster cold)
        self.pending.append(plan.start(threads=threads, hash_threads=1 if self.pending else threads,
                                       key_cache=False, sig_cache=self.sig_cache))

    def close(self) -> None:
        """After the last piece: Core's ConnectBlock rule on the coinbase amount."""
        block, rep = self.block, self.rep
        height = block_height(block)
        if self.fees_known and height is not None and block.txs and block.txs[0].coinbase:
            # the coinbase may claim at most the subsidy plus the fees
            subsidy = (50 * 100_000_000) >> (height // 210_000) if height // 210_000 < 64 else 0
            claimed = sum(o.value for o in block.txs[0].vout)
            if claimed > subsidy + self.fees:
                rep.add(R.BAD_CB_AMOUNT, f"coinbase pays {claimed}, limit {subsidy + self.fees} (subsidy "
                        f"{subsidy} at height {height} + fees {self.fees})", 0)

    def abandon(self) -> None:
        pending, self.pending = self.pending, []
        with suppress(Exception):  # the run is being abandoned: its verdicts are not read
            join(pending)

    def finish(self, threads, t) -> None:
        txs, batch, rep = self.block.txs, self.batch, self.rep
        try:
            if self.taken:
                implied_ok = self.prevouts is None
                classify = self.cls.classify
                cand_t, cand_k, cand_pv = self.cand_t, self.cand_k, self.cand_pv
                for c in np.flatnonzero(np.concatenate(self.taken) == 0).tolist():
                    classify(txs[cand_t[c]], cand_t[c], cand_k[c], cand_pv[c], implied_ok)
            t.lap("classify")
            # verified here, on this thread (and ``threads`` helpers), while the pieces' helpers go on
            general = _plan_general(batch, self.plan)
            res = self.plan.execute(threads=threads, key_cache=False, sig_cache=self.sig_cache)
            verdict = res.verdicts(general) if general is not None else np.zeros(0, dtype=bool)
            t.lap("general")
        finally:
            pending, self.pending = self.pending, []
            fast_res = join(pending)
        t.lap("verify")
        rep.cached_signatures = res.cached_signatures + sum(r.cached_signatures for r in fast_res)

        # the P2PKH kernel's pairs: item j of a ticket is candidate acc[j], (transaction, input) (ct, ck) there
        for ticket, (ct, ck, acc), res in zip(self.fast, self.fast_at, fast_res):
            rep.inputs_checked += len(ticket)
            rep.sigs_checked += len(ticket)
            for j in res.failed(ticket):
                ti, k = ct[acc[j]], ck[acc[j]]
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
                rep.add(R.BAD_SIGNATURE, f"transaction {ti} input {k}: {batch.fast_label[i]}: signature does "
                        "not verify", ti, k)
        for chk in batch.inputs:
            got = chk.matched(verdict)
            rep.inputs_checked += 1
            rep.sigs_checked += chk.m
            if got != chk.m:
                rep.sigs_failed += chk.m - got
                what = ("signature does not verify" if chk.m == 1
                        else f"only {got} of {chk.m} signatures match in order")
                rep.add(R.BAD_SIGNATURE, f"transaction {chk.tx_index} input {chk.input_index}: {chk.kind}: "
                        f"{what}", chk.tx_index, chk.input_index)


def _plan_general(batch: Batch, plan: Plan) -> Ticket | None:
    """Add the general batch to ``plan``: its preimages' SHA-256d, then its (signature, key) pairs over
    them (Core's uint256(1) where a signature's digest source is -1); the pairs' ticket."""
    n_pre = len(batch.pre_lens)
    if not batch.pair_sig:
        return None
    offsets = np.zeros(n_pre + 1, dtype=np.int64)
    np.cumsum(np.asarray(batch.pre_lens, dtype=np.int64), out=offsets[1:])
    pre = plan.hash_spans("sha256d", np.frombuffer(b"".join(batch.parts), dtype=np.uint8), offsets)
    rs = np.frombuffer(b"".join(x or _ZERO64 for x in batch.sig_rs), dtype=np.uint8).reshape(-1, 64)
    ps = np.asarray(batch.pair_sig, dtype=np.int64)
    src = np.asarray(batch.sig_digest, dtype=np.int64)[ps]
    # no key cache, as for the kernel's pairs: its lookup costs a few numpy calls even for two keys
    return plan.signatures("ecdsa-secp256k1", batch.pair_key, plan.digests_of(pre, src, fill=ONE), rs[ps])


def _check_values(tx, ti: int, value_in: int, rep: R.BitcoinReport, value_out: int | None = None) -> int:
    """Core's CheckTxInputs value rules for a transaction whose every input amount is known; the fee.
    ``value_out``: the outputs' total when the caller has it."""
    if not 0 <= value_in <= MAX_MONEY:
        rep.add(R.INPUTS_VALUE_RANGE, f"transaction {ti} spends {value_in} satoshi in total", ti)
        return 0
    if value_out is None:
        value_out = sum(o.value for o in tx.vout)
    if value_in < value_out:
        rep.add(R.IN_BELOW_OUT, f"transaction {ti} spends {value_in} but pays {value_out}", ti)
        return 0
    return value_in - value_out


def _value_out(tables, first: int, last: int) -> dict | None:
    """{transaction: its outputs' total} for transactions ``first`` to ``last - 1``, from the scan's tables
    in one cumulative sum (None without the tables, or where int64 could overflow: the per-transaction sum
    in ``_check_values`` then stays exact).  Block 277647: ~0.04 -> ~0.015 ms.  (Its prevouts looked up
    from the tables too, one gather and one hex conversion for every key, took ~0.18 ms against ~0.12 ms
    per input in the loop: not done.)"""
    if tables is None or first >= last:
        return None
    from ..kernels import bitcoin_scan as S

    _, ttab, _, outs = tables
    o0, o1 = int(ttab[first, S.T_OUT0]), int(ttab[last, S.T_OUT0])
    values = outs[o0:o1, S.O_VALUE]
    if len(values) and int(np.abs(values).max()) * len(values) >= 1 << 62:
        return None
    cs = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=cs[1:])
    return dict(zip(range(first, last), np.diff(cs[ttab[first:last + 1, S.T_OUT0] - o0]).tolist()))


def _kernel_fast(block: Block, raw: bytes, starts: list[int], cand_t, cand_k, cand_spk):
    """Run the P2PKH kernel over the candidates; its arrays (see ``p2pkh_all_batch``)."""
    from ..kernels.bitcoin_p2pkh import p2pkh_all_batch

    txs = block.txs
    ct = np.asarray(cand_t, dtype=np.int64)
    lo = np.asarray(starts, dtype=np.int64)[ct]
    # per transaction, not per candidate (they come in transaction order): ~0.04 ms less on block 277647
    t0, t1 = cand_t[0], cand_t[-1] + 1
    hi = lo + np.fromiter((len(tx.raw) for tx in txs[t0:t1]), dtype=np.int64, count=t1 - t0)[ct - t0]
    spk = np.frombuffer(b"".join(cand_spk), dtype=np.uint8).reshape(-1, 25)
    return p2pkh_all_batch(np.frombuffer(raw, dtype=np.uint8), lo, hi, np.asarray(cand_k, dtype=np.int64), spk)


class _Timer:
    """Wall time per stage on the calling thread, summed where a stage comes back (``classify``)."""

    def __init__(self, rep):
        self.rep = rep
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.rep.timings[name] = round(self.rep.timings.get(name, 0.0) + now - self.t, 6)
        self.t = now
