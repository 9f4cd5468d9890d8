"""``validate_block``: one EVM block, from JSON-RPC or RLP, checked in a few batched steps.

1. Read: the header (fields of its fork), every transaction (re-encoded canonically) and withdrawal.
2. One Keccak batch (a pipeline plan): the header, every transaction (its hash), every signing payload and
   every EIP-7702 authorization payload.
3. One recovery batch (a second plan, since it needs step 2's digests): every sender and authorization
   signer; the compressed keys are decompressed in Numba and hashed into addresses in one more batch.
4. The transactions and withdrawals tries, bottom up, one Keccak batch per height (``trie.ordered_roots``);
   at two threads or more, on the calling thread while a helper computes step 3's addresses.

With a ``sig_cache`` (``ledgerval.SignatureCache``), step 3 skips the recoveries the cache vouches for.  An
entry is stored only for a full success, under scheme ``recover-secp256k1`` with key = the 20-byte address
the recovered key hashes to, message = the signed digest and signature = the 65-byte r || s || recovery id.
Recovery is a function of (digest, signature), so an entry says "this exact signature over this exact digest
recovers a key whose address is exactly this one".  A lookup is made only for a transaction that states its
sender (`from`), with that address as the key: a hit vouches for exactly the address the report would show
(any other address, or a signature that does not recover, is a different fingerprint, and failures are
never stored), so a cached entry cannot make a different sender or a failed recovery pass.  What a hit does
not give is the 33-byte key itself, which the adapter does not report; a different key with the same
address would take a 160-bit Keccak collision, the assumption Ethereum's addresses already rest on.
Authorization signers and RLP input state no address, so they are always recovered (their successes are
stored all the same).
"""
from __future__ import annotations

import json

import numpy as np

from ..errors import InvalidArgument, InvalidType
from ..hashing import hash_batch
from ..native_threads import resolve_threads
from ..pipeline import Plan
from ..sigcache import check_sig_cache
from . import header as hdr
from . import rlp
from .report import Authorization, Report
from .trie import ordered_roots
from .tx import HALF_N, Tx, TxError, from_json, from_rlp


def _load(block):
    """-> ("json", dict) or ("rlp", bytes); raises InvalidArgument/InvalidType for what is not a block."""
    if isinstance(block, (bytes, bytearray, memoryview)):
        data = bytes(block)
        if data.lstrip()[:1] == b"{":
            block = data.decode("utf-8", errors="replace")
        else:
            return "rlp", data
    if isinstance(block, str):
        try:
            block = json.loads(block)
        except ValueError as exc:
            raise InvalidArgument(f"not a JSON block: {exc}") from None
        if isinstance(block, dict) and isinstance(block.get("result"), dict):
            block = block["result"]  # a whole JSON-RPC response
    if not isinstance(block, dict):
        raise InvalidType(f"a block is a JSON-RPC object (dict or JSON text) or RLP bytes, not {type(block).__name__}")
    if "transactions" not in block or not isinstance(block["transactions"], list):
        raise InvalidArgument("not an eth_getBlockByNumber object: no `transactions` list")
    return "json", block


def _read_json(block: dict, report: Report):
    header = hdr.header_from_json(block)
    txs: list[Tx | None] = []
    for i, obj in enumerate(block["transactions"]):
        try:
            txs.append(from_json(obj))
        except TxError as exc:
            txs.append(None)
            report.add("malformed", i, f"transaction {i}: {exc}")
    stated = hdr.json_bytes(block, "hash", 32) if "hash" in block else None
    withdrawals = block.get("withdrawals")
    if withdrawals is not None:
        if not isinstance(withdrawals, list):
            raise TxError("withdrawals: expected a list")
        withdrawals = [hdr.withdrawal_from_json(w) for w in withdrawals]
    return header, txs, withdrawals, stated


def _read_rlp(data: bytes, report: Report):
    try:
        items = rlp.decode(data)
    except rlp.RLPError as exc:
        raise TxError(f"block RLP: {exc}") from None
    if not isinstance(items, list) or len(items) not in (3, 4) or not isinstance(items[1], list):
        raise TxError("block RLP: expected [header, transactions, ommers] or [..., withdrawals]")
    header = hdr.header_from_rlp(items[0])
    txs: list[Tx | None] = []
    for i, item in enumerate(items[1]):
        try:
            if isinstance(item, list):
                txs.append(from_rlp(item, 0))
            elif item and item[0] < 0x80:
                try:
                    payload = rlp.decode(item[1:])
                except rlp.RLPError as exc:
                    raise TxError(f"typed transaction RLP: {exc}") from None
                txs.append(from_rlp(payload, item[0]))
            else:
                raise TxError("a typed transaction must start with its type byte (0x01-0x7f)")
        except TxError as exc:
            txs.append(None)
            report.add("malformed", i, f"transaction {i}: {exc}")
    withdrawals = None
    if len(items) == 4:
        if not isinstance(items[3], list):
            raise TxError("block RLP: withdrawals must be a list")
        withdrawals = [hdr.withdrawal_from_rlp(w) for w in items[3]]
    return header, txs, withdrawals, None


def _addresses(keys33: np.ndarray, ok: np.ndarray, threads: int) -> list[bytes | None]:
    from ledgerval.kernels import set_threads
    from ledgerval.kernels.secp256k1_keys import decompress_batch

    set_threads(threads)
    xy, on_curve = decompress_batch(keys33)
    ok = ok & on_curve
    digests = hash_batch("keccak256", xy, threads=threads)
    return [d[12:].tobytes() if good else None for d, good in zip(digests, ok.tolist())]


def validate_block(block, *, chain_id: int | None = None, threads: int | None = None,
                   sig_cache=None) -> Report:
    """Validate one block: a JSON-RPC ``eth_getBlockByNumber(n, true)`` object (dict, or JSON text), or the
    block's canonical RLP bytes.  Failures are data in the report; misuse (not a block at all, a bad
    ``chain_id``) raises ``InvalidArgument``/``InvalidType``.  ``sig_cache`` skips the sender recoveries it
    vouches for (the module doc says by which rule) and counts them in ``report.cached_signatures``; the
    report is otherwise the same without it."""
    if chain_id is not None and (not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id < 0):
        raise InvalidArgument(f"chain_id must be a non-negative int or None, not {chain_id!r}")
    t = resolve_threads(threads)
    check_sig_cache(sig_cache)
    kind, data = _load(block)
    report = Report()
    try:
        header, txs, withdrawals, stated_hash = (_read_json if kind == "json" else _read_rlp)(data, report)
        if ("withdrawalsRoot" in header.fields) != (withdrawals is not None):
            raise TxError("the header's withdrawalsRoot and the body's withdrawals must come together")
    except TxError as exc:
        report.add("malformed", None, str(exc))
        return report
    report.fork = header.fork
    report.number = int.from_bytes(header.fields["number"], "big")
    good = [(i, tx) for i, tx in enumerate(txs) if tx is not None]
    auths = [(i, j, a) for i, tx in good for j, a in enumerate(tx.auths)]
    usable = [(i, j, a) for i, j, a in auths if a.usable()]

    plan = Plan()
    th_header = plan.hashes("keccak256", [header.encoded])
    th_tx = plan.hashes("keccak256", [tx.encoded for _, tx in good])
    th_sig = plan.hashes("keccak256", [tx.signing for _, tx in good])
    th_auth = plan.hashes("keccak256", [a.signing for _, _, a in usable])
    hashes = plan.execute(threads=t)
    report.header_hash = hashes.digests(th_header)[0].tobytes()
    tx_hashes = hashes.digests(th_tx)

    rec = Plan()
    sigs65 = [tx.sig65() for _, tx in good] + [
        a.r.to_bytes(32, "big") + a.s.to_bytes(32, "big") + bytes((a.y,)) for _, _, a in usable]
    digests = np.concatenate([hashes.digests(th_sig), hashes.digests(th_auth)])
    stated = [tx.sender for _, tx in good]
    hit = _cached(sig_cache, stated, digests, sigs65)
    miss = np.flatnonzero(~hit)
    m_digests, m_sigs = digests[miss], [sigs65[k] for k in miss.tolist()]
    tr = rec.recoveries(m_digests, m_sigs)
    recovered = rec.execute(threads=t)
    keys, ok = recovered.keys(tr), recovered.verdicts(tr)
    if t > 1:
        # addresses (Numba without the GIL, then a native Keccak batch) on a helper while this thread builds
        # the tries in Python: ~2 ms of a block's ~9 ms after parsing, on two cores
        pending = _helper().submit(_addresses, keys, ok, 1)
        roots = _roots(txs, withdrawals, 1)
        m_addrs = pending.result()
    else:
        m_addrs = _addresses(keys, ok, t)
        roots = _roots(txs, withdrawals, t)
    addrs: list[bytes | None] = [stated[k] if h else None for k, h in enumerate(hit.tolist())]
    for k, a in zip(miss.tolist(), m_addrs):
        addrs[k] = a
    if sig_cache is not None:
        _remember(sig_cache, m_addrs, m_digests, m_sigs)
    report.cached_signatures = int(hit.sum())
    report.signatures_checked = len(sigs65)
    report.unstated = {"tx_hash": sum(tx.hash is None for _, tx in good),
                       "sender": sum(tx.sender is None for _, tx in good), "header_hash": int(stated_hash is None)}

    report.senders = [None] * len(txs)
    report.tx_hashes = [None] * len(txs)
    for k, (i, tx) in enumerate(good):
        h = tx_hashes[k].tobytes()
        report.tx_hashes[i] = h
        sender = report.senders[i] = addrs[k]
        if tx.hash is not None and h != tx.hash:
            report.add("bad_tx_hash", i, f"transaction {i}: hash 0x{h.hex()}, stated 0x{tx.hash.hex()}")
        if sender is None:
            report.add("bad_signature", i, f"transaction {i}: no public key recovers from its signature")
        elif tx.sender is not None and sender != tx.sender:
            report.add("wrong_sender", i, f"transaction {i}: signed by 0x{sender.hex()}, `from` is "
                                          f"0x{tx.sender.hex()}")
        if tx.s > HALF_N:
            report.add("high_s", i, f"transaction {i}: s above n/2 (EIP-2)")
        if chain_id is not None and tx.chain_id is not None and tx.chain_id != chain_id:
            report.add("wrong_chain_id", i, f"transaction {i}: chain id {tx.chain_id}, expected {chain_id}")
    signer = {(i, j): s for (i, j, _), s in zip(usable, addrs[len(good):])}
    report.authorizations = [Authorization(i, j, signer.get((i, j))) for i, j, _ in auths]

    _check_roots(report, header, roots)
    if stated_hash is not None:
        report.header_hash_ok = report.header_hash == stated_hash
        if not report.header_hash_ok:
            report.add("bad_header_hash", None, f"header hashes to 0x{report.header_hash.hex()}, stated "
                                                f"0x{stated_hash.hex()}")
    return report


_RECOVER = "recover-secp256k1"


def _cached(sig_cache, stated: list, digests: np.ndarray, sigs65: list) -> np.ndarray:
    """(n,) bool: the recoveries the cache vouches for; only transactions (the first ``len(stated)`` items)
    that state their sender are looked up, under that address."""
    hit = np.zeros(len(sigs65), dtype=bool)
    ask = [k for k, a in enumerate(stated) if a is not None]
    if sig_cache is not None and ask:
        hit[ask] = sig_cache.lookup(_RECOVER, [stated[k] for k in ask], digests[ask], [sigs65[k] for k in ask])
    return hit


def _remember(sig_cache, addrs: list, digests: np.ndarray, sigs65: list) -> None:
    """Store the recoveries that gave an address (successes only), keyed by that address."""
    good = [k for k, a in enumerate(addrs) if a is not None]
    if good:
        sig_cache.insert(_RECOVER, [addrs[k] for k in good], digests[good], [sigs65[k] for k in good])


_HELPER = None


def _helper():
    global _HELPER
    if _HELPER is None:
        from concurrent.futures import ThreadPoolExecutor

        _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledgerval-evm")
    return _HELPER


def _roots(txs: list, withdrawals: list | None, threads: int) -> tuple[bytes | None, bytes | None]:
    """(transactions root or None when a transaction could not be read, withdrawals root or None)."""
    lists = [] if any(tx is None for tx in txs) else [[tx.encoded for tx in txs]]
    if withdrawals is not None:
        lists.append(withdrawals)
    roots = ordered_roots(lists, threads=threads)
    tx_root = roots[0] if lists and (len(lists) == 2 or withdrawals is None) else None
    return tx_root, (roots[-1] if withdrawals is not None else None)


def _check_roots(report: Report, header, roots: tuple[bytes | None, bytes | None]) -> None:
    tx_root, w_root = roots
    if tx_root is not None:
        report.tx_root_ok = tx_root == header.fields["transactionsRoot"]
        if not report.tx_root_ok:
            report.add("bad_tx_root", None, f"transactions trie root 0x{tx_root.hex()}, header has "
                                            f"0x{header.fields['transactionsRoot'].hex()}")
    if w_root is not None:
        report.withdrawals_root_ok = w_root == header.fields["withdrawalsRoot"]
        if not report.withdrawals_root_ok:
            report.add("bad_withdrawals_root", None, f"withdrawals trie root 0x{w_root.hex()}, header has "
                                                     f"0x{header.fields['withdrawalsRoot'].hex()}")
