"""The inputs of one block for ``validate_block``: the per-input loop (double spends, prevouts, values,
classification), the P2PKH kernel's pieces started on helper threads, the general batch, and the replay of
every input's checks over the verdicts (``InputRun``; engine/bitcoin/validate.py drives it, a piece of the
block at a time).  The loop's column form for a block parsed in one piece is engine/bitcoin/colinputs.py.
"""
from __future__ import annotations

from contextlib import suppress
from operator import itemgetter

import numpy as np

from ..pipeline import Execution, Plan, Ticket, join
from . import report as R
from .checkblock import MAX_MONEY
from .checks import Batch, Rules
from .colinputs import feed_all, sums_fit_int64
from .inputs import Classifier
from .script import coinbase_height
from .sighash import ONE
from .wire import Block

_ZERO64 = bytes(64)
_SECOND = itemgetter(1)
# The column form of feed's loop (colinputs.py); tests turn it off to compare it with the loop.
COLUMNS = True


def block_height(block: Block) -> int | None:
    """BIP34 height from the coinbase scriptSig (version >= 2 blocks), or None."""
    if block.header.version < 2 or not block.txs or not block.txs[0].vin:
        return None
    return coinbase_height(block.txs[0].vin[0].script_sig)


class InputRun:
    """The inputs of one block, fed a piece of its transactions at a time (``feed``), then ``close``d and
    ``finish``ed.  Each piece: the per-input loop (double spends, values, prevouts, classification), then
    the P2PKH kernel over the candidates of the pre-BIP66 rules (a 25-byte prevout script in a witness-free
    transaction), their preimages hashed and their signatures started on helper threads (one piece of
    ``self.plan``, owners (transaction, input)).  ``finish`` classifies what the kernel declined, runs the
    general batch as the plan's last piece, joins the others and replays every input's checks over the
    verdicts.  ``abandon``
    joins whatever was started (its helpers stop, nothing else is read) when the run ends early."""

    def __init__(self, block: Block, raw: bytes, starts: list[int], prevouts, rep: R.BitcoinReport, threads,
                 sig_cache=None, tables=None, kernel: bool = True):
        self.block, self.raw, self.starts, self.rep, self.threads = block, raw, starts, rep, threads
        # BlockParser.scan_tables: the scan's tables, once parsing started, when it took the whole block (the
        # per-transaction output totals come from them in bulk)
        self.tables = tables
        self.sig_cache = sig_cache
        self.kernel_on = kernel  # validate.P2PKH_KERNEL: tests turn the kernel off to compare the paths
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
        # Kernel candidates go to it in one call after this loop (those it declines to ``classify`` in
        # ``finish``); every other input is classified at once.  The order of classification is invisible:
        # errors are sorted by location.
        no_kernel = self.cls.rules.strict_der or not self.kernel_on
        c0 = len(self.cand_t)
        tables = self.tables() if self.tables else None
        value_out = _value_out(tables, first, len(txs))
        # a block parsed in one piece: the loop over the scan's columns (colinputs.py), where it applies
        if not (first == 0 and COLUMNS and tables is not None and len(tables[1]) == len(txs) + 1
                and feed_all(self, tables, no_kernel, value_out, _check_values)):
            self._loop(first, no_kernel, value_out)
        t.lap("classify")
        if len(self.cand_t) > c0:
            self._kernel(c0)
        t.lap("kernel")

    def _loop(self, first: int, no_kernel: bool, value_out) -> None:
        """``feed``'s per-input loop: the reference, and the path for blocks parsed in pieces."""
        rep, txs = self.rep, self.block.txs
        classify = self.cls.classify
        implied_ok = self.prevouts is None
        get_prevout = None if self.prevouts is None else self.prevouts.get
        created = self.created
        # bound methods hoisted out of the per-input loop (732 inputs of block 277647: ~0.85 -> ~0.6 ms)
        spent_at, created_at = self.spent.setdefault, created.get
        cand_t, cand_k, cand_pv = self.cand_t.append, self.cand_k.append, self.cand_pv.append
        fees, fees_known = self.fees, self.fees_known
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
                    fees += _check_values(tx, ti, value_in, rep, None if value_out is None else value_out[ti - first])
            created[tx.txid] = ti
        self.fees, self.fees_known = fees, fees_known

    def _kernel(self, c0: int) -> None:
        """The P2PKH kernel over candidates c0 onwards; their signatures start verifying in the background."""
        raw, threads = self.raw, self.threads
        ct, ck = self.cand_t[c0:], self.cand_k[c0:]
        tables = self.tables() if self.tables else None
        taken, pre, pre_off, rs_k, key_pos, key_len = _kernel_fast(self.block, raw, self.starts, ct, ck,
                                                                  list(map(_SECOND, self.cand_pv[c0:])), tables)
        self.taken.append(taken)
        acc = np.flatnonzero(taken)
        if not len(acc):
            return
        # declined candidates have empty spans, so the taken ones lie back to back; once helpers verify,
        # every other core is theirs: hash on this thread alone
        offs = np.append(pre_off[acc], pre_off[-1])
        a = key_pos[acc]
        keys = list(map(raw.__getitem__, map(slice, a.tolist(), (a + key_len[acc]).tolist())))
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


def _value_out(tables, first: int, last: int) -> list | None:
    """The outputs' totals of transactions ``first`` to ``last - 1`` (item ti - first), from the scan's tables
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
    if len(values) and not sums_fit_int64(values):
        return None
    cs = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(values, out=cs[1:])
    return np.diff(cs[ttab[first:last + 1, S.T_OUT0] - o0]).tolist()


def _kernel_fast(block: Block, raw: bytes, starts: list[int], cand_t, cand_k, cand_spk, tables=None):
    """Run the P2PKH kernel over the candidates; its arrays (see ``p2pkh_all_batch``).  ``tables``: the
    scan's, when it took every transaction (their spans come from it)."""
    from ..kernels import bitcoin_scan as S
    from ..kernels.bitcoin_p2pkh import p2pkh_all_batch

    txs = block.txs
    ct = np.asarray(cand_t, dtype=np.int64)
    if tables is not None and len(tables[1]) == len(txs) + 1:
        lo, hi = tables[1][ct, S.T_LO], tables[1][ct, S.T_HI]
    else:
        lo = np.asarray(starts, dtype=np.int64)[ct]
        # per transaction, not per candidate (they come in transaction order): ~0.04 ms less on block 277647
        t0, t1 = cand_t[0], cand_t[-1] + 1
        hi = lo + np.fromiter((len(tx.raw) for tx in txs[t0:t1]), dtype=np.int64, count=t1 - t0)[ct - t0]
    spk = np.frombuffer(b"".join(cand_spk), dtype=np.uint8).reshape(-1, 25)
    return p2pkh_all_batch(np.frombuffer(raw, dtype=np.uint8), lo, hi, np.asarray(cand_k, dtype=np.int64), spk)
