"""Validating Fabric blocks: parse a window of blocks, verify every signature of the window (and the
certificate signatures of identities not seen before) in one plan, then map the verdicts to each block's
report.

Signature checks, per item: the signer's identity must parse and carry a P-256 or SM2 key; the DER signature
must decode; ECDSA must be low-S (``high_s``, as Fabric's IsLowS rejects it before verifying); then the
pipeline verifies it (ECDSA P-256 over the SHA-256 of the message, SM2 with SM3 and the default user ID).
The identity check is separate: the certificate must chain, by verified signatures, to a root CA of the MSP
it names under the config in force at the block; without one (a ledger started after its config blocks)
the check is counted in ``identities_skipped``, never passed.
"""
from __future__ import annotations

from ..pipeline import Plan
from . import der
from . import report as R
from .blockfile import RawBlock
from .identity import EdgeVerdicts, Identities, Trust, edge_check
from .parse import BlockWork, parse_block

_HALF_N_P256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 >> 1

# A window closes when it holds this many signatures or blocks: big enough that the kernels see full
# batches, small enough that reports come out while a long ledger is read.
WINDOW_SIGS = 8192
WINDOW_BLOCKS = 256


class LedgerState:
    """What validation carries from block to block: the previous header, the config in force, the caches."""

    def __init__(self, threads: int | None = None):
        self.prev: RawBlock | None = None
        self.trust: Trust | None = None
        self.identities = Identities()
        self.edges = EdgeVerdicts()
        self.threads = threads
        self._paths: dict[tuple[int, bytes], list] = {}  # (id of Trust, creator) -> chains

    def parse(self, raw: RawBlock) -> BlockWork:
        work = parse_block(raw, self.trust, self.prev)
        if work.new_trust is not None:
            self.trust = work.new_trust
            self._paths.clear()
        self.prev = raw
        return work

    def paths(self, trust: Trust, creator: bytes, cert) -> list:
        key = (id(trust), creator)
        p = self._paths.get(key)
        if p is None:
            p = self._paths[key] = trust.paths(cert, self.identities.get(creator).mspid)
        return p

    def finish(self, works: list[BlockWork]) -> list[R.FabricReport]:
        return _verify_window(self, works)


class _Checks:
    """Columns of the window's signature checks, by scheme."""

    def __init__(self) -> None:
        self.ecdsa: tuple[list, list, list, list] = ([], [], [], [])  # keys, messages, r||s, owners
        self.sm2: tuple[list, list, list, list] = ([], [], [], [])
        self.edges_p256: tuple[list, list, list, list] = ([], [], [], [])  # digests, not messages
        self.edges_sm2: tuple[list, list, list, list] = ([], [], [], [])

    @staticmethod
    def put(cols, key, msg, sig, owner) -> None:
        cols[0].append(key)
        cols[1].append(msg)
        cols[2].append(sig)
        cols[3].append(owner)


def _verify_window(state: LedgerState, works: list[BlockWork]) -> list[R.FabricReport]:
    checks = _Checks()
    failed: dict[tuple[int, int], str] = {}  # (block slot, item) -> why, for items failing before verifying
    idents = state.identities
    pending_edges: dict[tuple[bytes, bytes], tuple] = {}
    for b, work in enumerate(works):
        for j, item in enumerate(work.sigs):
            ident = idents.get(item.creator)
            if ident.error is not None:
                failed[(b, j)] = R.UNKNOWN_IDENTITY
                continue
            cert = ident.cert
            if work.trust is not None:
                for path in state.paths(work.trust, item.creator, cert):
                    for child, issuer in path:
                        if state.edges.known(child, issuer) is None:
                            pending_edges[(child.der, issuer.der)] = (child, issuer)
            try:
                r, s = der.decode_ecdsa_sig(item.signature)
            except ValueError:
                failed[(b, j)] = item.code
                continue
            rs = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            if cert.scheme == "ecdsa-p256":
                if s > _HALF_N_P256:
                    failed[(b, j)] = R.HIGH_S
                    continue
                checks.put(checks.ecdsa, cert.key, item.message, rs, (b, j))
            else:
                checks.put(checks.sm2, cert.key, item.message, rs, (b, j))
    edge_owners = []
    for child, issuer in pending_edges.values():
        e = edge_check(child, issuer)
        if e is None:
            state.edges.settle(child, issuer, False)
            continue
        scheme, key, msg, rs = e
        checks.put(checks.edges_p256 if scheme == "ecdsa-p256" else checks.edges_sm2, key, msg, rs, (child, issuer))
        edge_owners.append((child, issuer))
    ok = _run(checks, state.threads)
    for child, issuer in edge_owners:
        state.edges.settle(child, issuer, ok[(child.der, issuer.der)])
    return [_report(state, work, b, ok, failed) for b, work in enumerate(works)]


def _run(checks: _Checks, threads) -> dict:
    """Verdicts by owner for every check of the window: one hash batch, then one plan."""
    hplan = Plan()
    ht = hplan.hashes("sha256", checks.ecdsa[1]) if checks.ecdsa[1] else None
    digests = hplan.execute(threads=threads).digests(ht) if ht else []
    plan = Plan()
    tickets = []
    if checks.ecdsa[0]:
        tickets.append((plan.signatures("ecdsa-p256", checks.ecdsa[0], digests, checks.ecdsa[2], low_s=True),
                        checks.ecdsa[3]))
    if checks.sm2[0]:
        tickets.append((plan.signatures("sm2", *checks.sm2[:3]), checks.sm2[3]))
    # Certificate signatures: CAs need not sign low-S (Fabric's MSP normalises S before its own x509 check).
    if checks.edges_p256[0]:
        tickets.append((plan.signatures("ecdsa-p256", *checks.edges_p256[:3]),
                        [(c.der, i.der) for c, i in checks.edges_p256[3]]))
    if checks.edges_sm2[0]:
        tickets.append((plan.signatures("sm2", *checks.edges_sm2[:3]),
                        [(c.der, i.der) for c, i in checks.edges_sm2[3]]))
    if not tickets:
        return {}
    res = plan.execute(threads=threads)
    ok = {}
    for t, owners in tickets:
        ok.update(zip(owners, res.verdicts(t).tolist()))
    return ok


def _report(state: LedgerState, work: BlockWork, b: int, ok: dict, failed: dict) -> R.FabricReport:
    rep = work.report
    where = f"block {work.raw.number}"
    chain_ok: dict[bytes, bool] = {}
    for j, item in enumerate(work.sigs):
        tx = "" if item.tx_index is None else f" transaction {item.tx_index}"
        ident = state.identities.get(item.creator)
        rep.signatures_checked += 1
        code = failed.get((b, j))
        if code is None and not ok[(b, j)]:
            code = item.code
        if code == R.UNKNOWN_IDENTITY:
            rep.signatures_failed += 1
            rep.add(code, f"{where}{tx} {item.what}: {ident.error}", item.tx_index)
            continue
        if code is not None:
            rep.signatures_failed += 1
            why = "s > n/2 (Fabric requires low S)" if code == R.HIGH_S else "does not verify"
            rep.add(code, f"{where}{tx} {item.what} ({ident.mspid}): {why}", item.tx_index)
        if work.trust is None:
            rep.identities_skipped += 1
            continue
        rep.identities_checked += 1
        good = chain_ok.get(item.creator)
        if good is None:
            good = chain_ok[item.creator] = state.edges.chain_ok(state.paths(work.trust, item.creator, ident.cert))
        if not good:
            rep.add(R.UNKNOWN_IDENTITY, f"{where}{tx} {item.what}: the certificate of {ident.mspid!r} is not "
                                        f"issued by a CA of that MSP in the config of block {work.trust.block}",
                    item.tx_index)
    rep.ok = not rep.errors
    return rep
