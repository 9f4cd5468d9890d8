"""The embedded default workload: which rows ``ledgerval bench`` measures and what each is compared with.

Rows are named ``kind/what``: ``e2e/<suite>`` (generated blocks validated end to end), ``verify/<scheme>``,
``hash/<algo>`` and ``merkle/<algo>-<rule>``.  Every primitive row has a ``ref`` column, ledgerval's own
reference path on a small slice of the same workload, so a regression gate always has a ratio even where no
peer library is installed.  ``verify/<scheme>`` reuses its keys from call to call (warm key caches, as on a
permissioned chain's repeat senders); ``verify/<scheme>/once`` empties the key caches before every call, so
every key is seen for the first time (a Bitcoin-like workload).  Each row records the code path it took
(``ledgerval.signatures.paths()``, ``ledgerval.hashing.paths()``), which the gate keys its floors on.
"""
from __future__ import annotations

import inspect
from functools import partial

import numpy as np

from . import e2e as E
from . import peers as P
from . import workloads as W
from .harness import Case, Contender, Prepared
from .probe import share

VERIFY_SCHEMES = ("ecdsa-secp256k1", "ecdsa-p256", "ed25519", "sm2")
HASH_ALGOS = ("sha256", "sha256d", "sm3", "keccak256")
MERKLE_ROWS = (("sha256", "rfc6962"), ("sha256d", "bitcoin"), ("sm3", "rfc6962"), ("keccak256", "rfc6962"))


def _absent_reason(exc: BaseException) -> str:
    msg = str(exc) or type(exc).__name__
    if isinstance(exc, ImportError):
        return f"not installed ({getattr(exc, 'name', None) or msg})"
    return msg


def _peer(build, *args, items: int, check) -> Contender:
    try:
        return Contender(build(*args), items=items, check=check)
    except (ImportError, LookupError, OSError) as exc:
        return Contender(None, items=items, absent=_absent_reason(exc))


def _sig_path(scheme: str) -> str:
    from ledgerval.signatures import paths

    return paths()[scheme]


def _hash_path(algo: str) -> str:
    from ledgerval.hashing import paths

    return paths()[algo]


# --- verify_batch ---------------------------------------------------------------------------------------------

def forget_keys(scheme: str) -> None:
    """Empty every per-key cache ``scheme``'s native kernel keeps (decoded keys, per-key tables, SM2's Z_A),
    so the next call sees each key for the first time."""
    from ledgerval.signatures import native_backend

    mod = native_backend(scheme)
    if mod is None:
        return
    for name in ("key_cache", "table_cache", "lane_table_cache", "za_cache"):
        cache = getattr(mod, name, None)
        if cache is not None:
            cache.clear()


def _prepare_verify(scheme: str, sizes: dict, once: bool = False) -> Prepared:
    import ledgerval

    w = W.verify_workload(scheme, sizes["verify"])
    keys, msgs, sigs = w.keys, w.messages, w.signatures

    def ours(t):
        if once:
            forget_keys(scheme)
        return ledgerval.verify_batch(scheme, keys, msgs, sigs, threads=t)

    def check(res):
        res = np.asarray(res, dtype=bool)
        if res.shape != w.expected.shape or not np.array_equal(res, w.expected):
            return f"{int((res != w.expected).sum())} of {w.n} verdicts differ from the expected ones"
        return None

    all_true = lambda res: bool(np.all(np.asarray(res, dtype=bool)))  # noqa: E731
    pw = w.head(sizes.get("peer_verify", w.n))
    peers = {name: _peer(P.VERIFY_PEERS[name], pw, items=pw.n, check=all_true) for name in P.VERIFY_APPLIES[scheme]}
    rw = w.head(sizes["ref_verify"])
    peers["ref"] = Contender(partial(ledgerval.verify_batch, scheme, rw.keys, rw.messages, rw.signatures,
                                     threads=1, backend="reference"), items=rw.n, check=all_true)
    def solo(i, t):  # keys seen once: no key cache at all, so the slices never see each other's keys
        part = share(w.n, i, t)
        return ledgerval.verify_batch(scheme, keys[part], msgs[part], sigs[part], threads=1, key_cache=not once)

    return Prepared(w.n, ours, check, peers, extra={"batch": w.n}, path=_sig_path(scheme), solo=solo)


# --- hash_batch -----------------------------------------------------------------------------------------------

def _hash_backend_kw() -> bool:
    import ledgerval

    return "backend" in inspect.signature(ledgerval.hash_batch).parameters


def _prepare_hash(algo: str, sizes: dict) -> Prepared:
    import ledgerval
    from ledgerval.reference.hashes import digest

    msgs = W.hash_workload(sizes["hash"], sizes["hash_size"])
    head = [bytes(m) for m in msgs[:16]]
    want = [digest(algo, m) for m in head]

    def ours(t):
        return ledgerval.hash_batch(algo, msgs, threads=t)

    def check(res):
        res = np.asarray(res)
        if res.shape != (len(msgs), 32):
            return f"shape {res.shape}, expected {(len(msgs), 32)}"
        bad = [i for i, d in enumerate(want) if bytes(res[i]) != d]
        return f"digests of items {bad} differ from the reference" if bad else None

    def check_peer(res):
        return [bytes(x) for x in res[:16]] == want

    pmsgs = msgs[: sizes["hash"]]
    peers = {name: _peer(P.HASH_PEERS[name], algo, pmsgs, items=len(pmsgs), check=check_peer)
             for name in P.HASH_APPLIES[algo]}
    rmsgs = msgs[: sizes["ref_hash"]]
    if _hash_backend_kw():
        ref = partial(ledgerval.hash_batch, algo, rmsgs, threads=1, backend="reference")
    else:
        items = [bytes(m) for m in rmsgs]
        ref = lambda: [digest(algo, m) for m in items]  # noqa: E731
    peers["ref"] = Contender(ref, items=len(rmsgs), check=check_peer)
    def solo(i, t):
        return ledgerval.hash_batch(algo, msgs[share(len(msgs), i, t)], threads=1)

    return Prepared(len(msgs), ours, check, peers, extra={"msg_bytes": sizes["hash_size"]}, path=_hash_path(algo),
                    solo=solo)


# --- merkle_root ----------------------------------------------------------------------------------------------

def _prepare_merkle(algo: str, rule: str, sizes: dict) -> Prepared:
    import ledgerval
    from ledgerval.reference.merkle import root as ref_root

    leaves = W.merkle_leaves(sizes["merkle"])
    rleaves = [bytes(x) for x in leaves[: sizes["ref_merkle"]]]
    pleaves = [bytes(x) for x in leaves[: sizes["peer_merkle"]]]
    want_small = ref_root(algo, rleaves, rule)
    want_peer = P.python_merkle_root(algo, pleaves, rule)
    threaded = "threads" in inspect.signature(ledgerval.merkle_root).parameters
    first: list[bytes] = []

    def ours(t):
        if threaded:
            return ledgerval.merkle_root(algo, leaves, rule, threads=t)
        return ledgerval.merkle_root(algo, leaves, rule)

    def check(res):
        # the full tree is too big for the Python trees to recompute on every run: its slices are checked
        # against them, and the full root must not depend on the thread count
        if ledgerval.merkle_root(algo, leaves[: len(rleaves)], rule) != want_small:
            return "root of the reference slice differs from the reference"
        if ledgerval.merkle_root(algo, leaves[: len(pleaves)], rule) != want_peer:
            return "root of the peer slice differs from the straightforward Python tree"
        first.append(bytes(res))
        return None if first[0] == first[-1] else "full root differs between thread counts"

    peers = {name: _peer(P.MERKLE_PEERS[name], algo, rule, pleaves, items=len(pleaves),
                         check=lambda r: r == want_peer)
             for name in P.MERKLE_APPLIES[algo]}
    peers["ref"] = Contender(partial(ref_root, algo, rleaves, rule), items=len(rleaves),
                             check=lambda r: r == want_small)
    def solo(i, t):
        return ledgerval.merkle_root(algo, leaves[share(len(leaves), i, t)], rule, threads=1)

    return Prepared(len(leaves), ours, check, peers, threaded=threaded, path=_hash_path(algo),
                    solo=solo if threaded else None)


# --- end to end -----------------------------------------------------------------------------------------------

def _prepare_e2e(suite: str, sizes: dict) -> Prepared:
    import ledgerval
    from ledgerval.suites import get_suite

    if not hasattr(ledgerval, "Validator"):
        raise LookupError("ledgerval.Validator is not in this build")
    chain = W.chain_workload(suite, sizes["blocks"], sizes["txs"])
    blocks = list(chain.blocks)
    validators: dict[int, object] = {}

    def validator(t):
        if t not in validators:
            validators[t] = ledgerval.Validator(suite, chain_id=chain.chain_id, validators=chain.validators,
                                                threshold=chain.threshold, threads=t)
        return validators[t]

    def ours(t):
        return list(validator(t).validate_chain(blocks))

    def check(reports):
        bad = [(i, r.codes()[:3]) for i, r in enumerate(reports) if not r.ok]
        if len(reports) != len(blocks):
            return f"{len(reports)} reports for {len(blocks)} blocks"
        return f"valid blocks reported invalid: {bad[:3]}" if bad else None

    def stages(reports):
        tot: dict[str, float] = {}
        for r in reports:
            for k, v in r.timings.items():
                tot[k] = tot.get(k, 0.0) + v
        return {k: v / max(1, len(reports)) for k, v in tot.items()}

    pblocks = blocks[: sizes["peer_blocks"]]
    peer_txs = sizes["txs"] * len(pblocks)
    all_valid = lambda res: list(res) == [True] * len(pblocks)  # noqa: E731
    scheme = get_suite(suite).scheme
    try:
        name, run = E.first_loop_peer(suite, pblocks, chain.validators)
        peers = {name: Contender(run, items=peer_txs, check=all_valid)}
    except LookupError as exc:
        peers = {"loop": Contender(None, items=peer_txs, absent=f"no per-call verifier installed ({exc})")}
    # the signature path: signatures are 86-93% of a block's time
    return Prepared(chain.tx_count, ours, check, peers, stages=stages, path=_sig_path(scheme),
                    extra={"blocks": len(blocks), "txs_per_block": sizes["txs"],
                           "validators": len(chain.validators)})


class _Frozen:
    """A signature cache's lookups with its inserts dropped: every timed call of the prechecked row sees the
    same 90% held (validation would otherwise store the other 10% and the next call find everything)."""

    def __init__(self, cache):
        self.lookup = cache.lookup

    def insert(self, *args, **kwargs) -> None:
        return None


PRECHECKED = "secp256k1-sha256"


def _prepare_e2e_prechecked(suite: str, sizes: dict) -> Prepared:
    """Blocks whose transactions were 90% verified before they arrived (``Validator.precheck`` into a
    ``SignatureCache``, untimed): the row times ``validate_chain`` with that cache, and its peer ``cold`` is
    the same validation without one, at the same thread count (issue 15)."""
    import ledgerval
    from ledgerval.format import SIG_SIZE, decode_block

    chain = W.chain_workload(suite, sizes["blocks"], sizes["txs"])
    blocks = list(chain.blocks)
    cache = ledgerval.SignatureCache(1 << 20)
    held = []
    for raw in blocks:
        dec = decode_block(raw)
        txs = [raw[a:b + SIG_SIZE] for a, b in zip(dec.tx_start.tolist(), dec.sig_off.tolist())]
        pre = [t for i, t in enumerate(txs) if i % 10]   # 90%, spread over the block
        if not ledgerval.Validator(suite, threads=1, sig_cache=cache).precheck(pre).all():
            raise LookupError("the generated transactions did not precheck")
        held.append(len(pre))
    frozen = _Frozen(cache)
    last = {"t": 1}

    def validator(t, sig_cache):
        return ledgerval.Validator(suite, chain_id=chain.chain_id, validators=chain.validators,
                                   threshold=chain.threshold, threads=t, sig_cache=sig_cache)

    def ours(t):
        last["t"] = t
        return list(validator(t, frozen).validate_chain(blocks))

    def check(reports):
        if len(reports) != len(blocks):
            return f"{len(reports)} reports for {len(blocks)} blocks"
        bad = [(i, r.codes()[:3], r.cached_signatures) for i, r, h in zip(range(len(blocks)), reports, held)
               if not r.ok or r.cached_signatures != h]
        return f"blocks not valid or not 90% cached: {bad[:3]}" if bad else None

    def cold():
        return [r.ok for r in validator(last["t"], None).validate_chain(blocks)]

    peers = {"cold": Contender(cold, items=chain.tx_count, check=lambda res: all(res))}
    return Prepared(chain.tx_count, ours, check, peers, threaded=False, path=_sig_path(_scheme(suite)),
                    extra={"blocks": len(blocks), "txs_per_block": sizes["txs"],
                           "validators": len(chain.validators), "prechecked": 0.9})


def _scheme(suite: str) -> str:
    from ledgerval.suites import get_suite

    return get_suite(suite).scheme


def default_cases() -> list[Case]:
    from ledgerval import SUITES

    cases = [Case(f"e2e/{s}", "e2e", "tx", partial(_prepare_e2e, s), "generated blocks validated end to end")
             for s in SUITES]
    cases.append(Case(f"e2e/{PRECHECKED}/prechecked90", "e2e", "tx", partial(_prepare_e2e_prechecked, PRECHECKED),
                      "the same blocks with 90% of their transactions prechecked into a signature cache; peer "
                      "`cold`: validated without it"))
    for s in VERIFY_SCHEMES:
        cases.append(Case(f"verify/{s}", "verify", "sig", partial(_prepare_verify, s),
                          "verify_batch, valid signatures, keys seen again (warm key caches)"))
        cases.append(Case(f"verify/{s}/once", "verify", "sig", partial(_prepare_verify, s, once=True),
                          "verify_batch, valid signatures, keys seen once (caches emptied each call)"))
    cases += [Case(f"hash/{a}", "hash", "msg", partial(_prepare_hash, a), "hash_batch over 64-byte messages")
              for a in HASH_ALGOS]
    cases += [Case(f"merkle/{a}-{r}", "merkle", "leaf", partial(_prepare_merkle, a, r), "merkle_root")
              for a, r in MERKLE_ROWS]
    return cases
