"""Validating Fabric blocks: parse a window of blocks, verify every signature of the window (and the
certificate signatures of identities not seen before) in one plan, then map the verdicts to each block's
report.  ``validate_ledger`` streams a window's signatures to a helper thread in chunks while it parses
(``stream.py``; the kernels release the GIL).

Signature checks, per item: the signer's identity must parse and carry a P-256 or SM2 key; the DER signature
must decode; ECDSA must be low-S (``high_s``, as Fabric's IsLowS rejects it before verifying); then the
pipeline verifies it (ECDSA P-256 over the SHA-256 of the message, SM2 with SM3 and the default user ID).
The identity check is separate: the certificate must chain, by verified signatures, to a root CA of the MSP
it names under the config in force at the block; without one (a ledger started after its config blocks)
the check is counted in ``identities_skipped``, never passed.

The per-item work is in columns (numpy over the window), not per-item Python: for the 9,004 signatures of
the benchmark's generated ledger that took the Python part around verification from about 60 ms to 15-30 ms
(2 loaded cores, so roughly).
"""
from __future__ import annotations

import hashlib
from itertools import accumulate

import numpy as np

from ..native_threads import resolve_threads
from ..pipeline import Plan
from ..sigcache import check_sig_cache
from . import der
from . import parse as P
from . import report as R
from .blockfile import RawBlock
from .identity import SHARED, Trust, edge_check
from .parse import BlockWork, check_data_hash, describe, parse_block

# A window closes when it holds this many signatures or blocks: big enough that the kernels see full
# batches, small enough that one window verifies while the next is parsed.
WINDOW_SIGS = 2048
WINDOW_BLOCKS = 256

# Below this many signatures a window verifies on one thread: on this 2-core VM under load, handing 60
# signatures to a second thread cost 2-8 ms against 1 ms for verifying them all on one.
SMALL_BATCH = 512

_NONE, _P256, _SM2 = 0, 1, 2  # the key a signer's certificate carries (_NONE: the identity is unusable)


class LedgerState:
    """What validation carries from block to block: the previous header, the config in force, the caches."""

    def __init__(self, threads: int | None = None, sig_cache=None):
        self.prev: RawBlock | None = None
        self.trust: Trust | None = None
        self.identities = SHARED  # parsing and certificate verdicts, shared by every ledger (identity.py)
        self.edges = SHARED.edges
        self.threads = threads
        self.sig_cache = check_sig_cache(sig_cache)  # thread-safe: windows verify on a helper thread

    def parse(self, raw: RawBlock, cut=None) -> BlockWork:
        work = parse_block(raw, self.trust, self.prev, self.identities, cut)
        if work.new_trust is not None:
            self.trust = work.new_trust
        self.prev = raw
        return work

    def finish(self, works: list[BlockWork]) -> list[R.FabricReport]:
        w = Window(self, works)
        return w.reports(w.run())


class Chunk:
    """Signature items prepared for one plan: signer lookups, DER decoding and the scheme split on the
    parsing thread (they read the shared identity cache); ``run`` hashes and verifies them on any thread.
    A ledger's chunks are cut every ``CHUNK_SIGS`` signatures, inside blocks too, so verification starts
    before the first big block is parsed (``stream.py``)."""

    def __init__(self, state: LedgerState, items: list[tuple]):
        self.state, self.items = state, items
        self.n = len(items)
        cols = list(zip(*items)) if items else [()] * 6
        self.msgs = cols[4]
        uniq: dict[bytes, int] = {}
        put = uniq.setdefault
        self.cidx = np.array([put(c, len(uniq)) for c in cols[3]], dtype=np.intp)
        self.creators = list(uniq)
        self.idents = [state.identities.get(c) for c in self.creators]
        ukind = np.array([_NONE if i.error else (_P256 if i.cert.scheme == "ecdsa-p256" else _SM2)
                          for i in self.idents] + [_NONE], dtype=np.int8)
        self.kind = ukind[self.cidx]
        self.rs, self.der_ok, high = der.decode_ecdsa_sigs(list(cols[5]))
        self.high = high & (self.kind == _P256)
        self.p256 = np.flatnonzero((self.kind == _P256) & self.der_ok & ~high)
        self.sm2 = np.flatnonzero((self.kind == _SM2) & self.der_ok)

    def run(self, threads: int | None, edges=(), envelopes=()):
        """(verdicts (n,) bool, {(child DER, issuer DER): bool} for ``edges``, the SHA-256 digests (bytes) of
        ``envelopes`` or None): one plan, one hash batch in it.  Safe on a helper thread: it reads the chunk
        and touches no shared state (the signature cache is thread-safe)."""
        threads = 1 if self.n < SMALL_BATCH else resolve_threads(threads)
        keys = [i.cert.key if i.error is None else b"" for i in self.idents]
        plan = Plan()
        tickets = []
        # The P-256 messages and small blocks' envelopes are one hash job, shortest first (``by_length``);
        # big blocks' envelopes go to hashlib (``parse.DATA_HASH_IN_PLAN``).
        msgs = [self.msgs[i] for i in self.p256.tolist()]
        envelopes = list(envelopes)
        limit = P.DATA_HASH_IN_PLAN
        small = [e for e in envelopes if len(e) <= limit]
        ht, rows = by_length(plan, msgs + small) if msgs or small else (None, None)
        if self.p256.size:
            # No low_s flag: high-S signatures never reach the plan (self.p256 excludes them and the report
            # names them high_s), so block and certificate signatures share one verify_batch (-0.05 ms a
            # run on the real ledger, medians of 300).
            tickets.append(("sig", self.p256, plan.signatures(
                "ecdsa-p256", [keys[c] for c in self.cidx[self.p256].tolist()],
                plan.digests_of(ht, rows[:len(msgs)]), self.rs[self.p256])))
        if self.sm2.size:
            tickets.append(("sig", self.sm2, plan.signatures(
                "sm2", [keys[c] for c in self.cidx[self.sm2].tolist()], [self.msgs[i] for i in self.sm2.tolist()],
                self.rs[self.sm2])))
        edge_owners = {"ecdsa-p256": ([], []), "sm2": ([], [])}
        edge_ok: dict[tuple[bytes, bytes], bool] = {}
        for child, issuer in edges:
            e = edge_check(child, issuer)
            if e is None:
                edge_ok[(child.der, issuer.der)] = False
                continue
            owners, cols = edge_owners[e[0]]
            owners.append((child.der, issuer.der))
            cols.append(e[1:])
        # Certificate signatures: CAs need not sign low-S (Fabric's MSP normalises S before its own x509 check).
        for scheme, (owners, cols) in edge_owners.items():
            if owners:
                tickets.append(("edge", owners, plan.signatures(scheme, *zip(*cols))))
        data = None
        ok = np.zeros(self.n, dtype=bool)
        if tickets or ht is not None:
            res = plan.execute(threads=threads, sig_cache=self.state.sig_cache)
            for kind, where, t in tickets:
                if kind == "sig":
                    ok[where] = res.verdicts(t)
                else:
                    edge_ok.update(zip(where, res.verdicts(t).tolist()))
        if envelopes:
            planned = iter(res.digests(ht)[rows[len(msgs):]] if small else ())
            data = [next(planned).tobytes() if len(e) <= limit else hashlib.sha256(e).digest()
                    for e in envelopes]
        return ok, edge_ok, data


def by_length(plan: Plan, messages: list[bytes]):
    """(hash ticket, rows): ``messages`` hashed in one SHA-256 job, shortest first; message i's digest is
    row ``rows[i]`` of the ticket.  The native batch hashes pieces of 16 lanes, so messages of mixed
    lengths (926 B signed payloads beside 24 KB config envelopes) idle most lanes of each piece behind the
    longest: in order, the real ledger's 80 took 507 us, shortest first 187 us; a chunk of 2,048 of the
    generated ledger 1,014 against 723 us (thread CPU medians of 30, one thread)."""
    n = len(messages)
    order = np.argsort(np.fromiter(map(len, messages), dtype=np.int64, count=n), kind="stable")
    rows = np.empty(n, dtype=np.int64)
    rows[order] = np.arange(n, dtype=np.int64)
    return plan.hashes("sha256", [messages[i] for i in order.tolist()]), rows


class Window:
    """The signature checks of consecutive blocks, as columns: the reports' unit.  Its signatures are
    verified in chunks (``Chunk``): the earlier ones already handed to a helper thread (their futures), the
    last one by ``run``, which also verifies the window's certificate edges and small blocks' data_hash."""

    def __init__(self, state: LedgerState, works: list[BlockWork], chunks: list[Chunk] | None = None,
                 before: list = ()):
        self.state, self.works = state, works
        self.before = list(before)  # futures of the earlier chunks' run(), in order
        if chunks is None:
            chunks = [Chunk(state, [it for w in works for it in w.sigs])]
        self.last = chunks[-1]
        self.bounds = list(accumulate([len(w.sigs) for w in works], initial=0))
        if len(chunks) == 1:
            ch = chunks[0]
            self.items, self.cidx, self.creators, self.idents = ch.items, ch.cidx, ch.creators, ch.idents
            self.kind, self.der_ok, self.high = ch.kind, ch.der_ok, ch.high
        else:
            # the chunks' signers renumbered for the window
            uniq: dict[bytes, int] = {}
            idents: list = []
            parts = []
            for ch in chunks:
                m = np.array([uniq.setdefault(c, len(uniq)) for c in ch.creators] + [0], dtype=np.intp)
                if len(uniq) > len(idents):
                    seen = dict(zip(ch.creators, ch.idents))
                    idents.extend(seen[c] for c in list(uniq)[len(idents):])
                parts.append(m[ch.cidx])
            self.items = [it for ch in chunks for it in ch.items]
            self.cidx = np.concatenate(parts)
            self.creators, self.idents = list(uniq), idents
            self.kind = np.concatenate([ch.kind for ch in chunks])
            self.der_ok = np.concatenate([ch.der_ok for ch in chunks])
            self.high = np.concatenate([ch.high for ch in chunks])
        self.n = len(self.items)
        self.cidx_list = self.cidx.tolist()
        self.edges = self._pending_edges()
        self.blocks_hashed = range(len(works))  # data_hash checked by run

    def _signers(self, b: int) -> list[int]:
        """The distinct signers of block ``b`` (a set, not np.unique: blocks are often a few signatures)."""
        return sorted(set(self.cidx_list[self.bounds[b]:self.bounds[b + 1]]))

    def _pending_edges(self) -> list:
        """The certificate edges not yet verified on the chains of the window's signers.  It also lists the
        window's distinct (config, signer) pairs (``self.pairs``) and keeps what the caches know of them now
        (``self.known``: chain verdicts by pair, edge verdicts by DERs): the reports judge from that and the
        window's own verdicts, whatever the bounded caches drop meanwhile."""
        state, pending, pairs = self.state, {}, {}
        known: dict = {}
        works, nb, b = self.works, len(self.works), 0
        while b < nb:
            # consecutive blocks under one config (most of a ledger) share one pass over their signers
            trust, e = works[b].trust, b + 1
            while e < nb and works[e].trust is trust:
                e += 1
            signers = sorted(set(self.cidx_list[self.bounds[b]:self.bounds[e]])) if trust is not None else ()
            b = e
            for c in signers:
                ident = self.idents[c]
                pair = (id(trust), c)  # the window's works hold every trust: ids stay unique
                if ident.error is None and pair not in pairs:
                    pairs[pair] = trust
                    chained = trust.chains.get(self.creators[c])
                    if chained is not None:  # judged in an earlier window or run
                        known[pair] = chained
                        continue
                    for path in trust.paths_of(self.creators[c], ident):
                        for child, issuer in path:
                            key = (child.der, issuer.der)
                            v = state.edges.known(child, issuer)
                            if v is None:
                                pending[key] = (child, issuer)
                            else:
                                known[key] = v
        self.pairs, self.known = pairs, known
        return list(pending.values())

    def run(self, threads: int | None = None):
        """The last chunk's verdicts with the window's edges and data hashes (``Chunk.run``)."""
        return self.last.run(self.state.threads if threads is None else threads, self.edges,
                             [self.works[b].envelopes for b in self.blocks_hashed])

    def reports(self, verdicts) -> list[R.FabricReport]:
        ok, edge_ok, data = verdicts
        if self.before:
            ok = np.concatenate([f.result()[0] for f in self.before] + [ok])
        for b, digest in zip(self.blocks_hashed, data if data is not None else ()):
            check_data_hash(self.works[b].raw, self.works[b].report, digest)
        edges = self.state.edges
        for child, issuer in self.edges:
            edges.settle(child, issuer, edge_ok[(child.der, issuer.der)])
        # Per-block counts from running sums, and one chain verdict per (config, signer) for the window:
        # the per-block numpy calls and chain walks were most of the reports' 17 us a block.
        zero = np.zeros(1, dtype=np.intp)
        failed = np.concatenate([zero, np.cumsum(~ok)]).tolist()
        usable = np.concatenate([zero, np.cumsum(self.kind != _NONE)]).tolist()
        unchained: dict[int, set[int]] = {}  # id(trust) -> its signers that do not chain (usually none)
        fresh = {**self.known, **edge_ok}
        for pair, trust in self.pairs.items():
            tid, c = pair
            chained = self.known.get(pair)
            if chained is None:
                creator = self.creators[c]
                chained = edges.chain_ok(trust.paths_of(creator, self.idents[c]), fresh)
                trust.judge(creator, chained)  # every edge on its paths is verified by now
            if not chained:
                unchained.setdefault(tid, set()).add(c)
        return [self._report(b, work, ok, failed, usable, unchained) for b, work in enumerate(self.works)]

    def _report(self, b: int, work: BlockWork, ok: np.ndarray, failed: list, usable: list,
                unchained: dict) -> R.FabricReport:
        rep = work.report
        a, z = self.bounds[b], self.bounds[b + 1]
        rep.signatures_checked += z - a
        if failed[z] != failed[a]:
            where = f"block {work.raw.number}"
            for i in (np.flatnonzero(~ok[a:z]) + a).tolist():
                tx, code, k = self.items[i][:3]
                ident = self.idents[self.cidx[i]]
                at = f"{where}{'' if tx is None else f' transaction {tx}'} {describe(code, k)}"
                rep.signatures_failed += 1
                if self.kind[i] == _NONE:
                    rep.add(R.UNKNOWN_IDENTITY, f"{at}: {ident.error}", tx)
                elif not self.der_ok[i]:
                    rep.add(code, f"{at} ({ident.mspid}): the signature is not DER-encoded (r, s)", tx)
                elif self.high[i]:
                    rep.add(R.HIGH_S, f"{at} ({ident.mspid}): s > n/2 (Fabric requires low S)", tx)
                else:
                    rep.add(code, f"{at} ({ident.mspid}): does not verify", tx)
        n_usable = usable[z] - usable[a]
        if work.trust is None:
            rep.identities_skipped += n_usable
        else:
            rep.identities_checked += n_usable
            bad = unchained.get(id(work.trust))
            for c in self._signers(b) if bad else ():
                if c not in bad:
                    continue
                ident = self.idents[c]
                for i in (np.flatnonzero(self.cidx[a:z] == c) + a).tolist():
                    tx, code, k = self.items[i][:3]
                    rep.add(R.UNKNOWN_IDENTITY, f"block {work.raw.number}{'' if tx is None else f' transaction {tx}'} "
                                                f"{describe(code, k)}: the certificate of {ident.mspid!r} is not "
                                                f"issued by a CA of that MSP in the config of block "
                                                f"{work.trust.block}", tx)
        rep.ok = not rep.errors
        return rep
