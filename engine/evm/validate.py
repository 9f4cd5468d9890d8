"""``validate_block``: one EVM block, from JSON-RPC or RLP, checked in a few batched steps.

1. Read: the header (fields of its fork), every transaction (re-encoded canonically) and withdrawal.
2. Per chunk of transactions as soon as it is read (``senders.Senders``): one Keccak batch (a pipeline plan:
   transaction hashes, signing payloads, EIP-7702 authorization payloads) and one recovery batch (a second
   plan, since it needs those digests: every sender and authorization signer), whose keys are decompressed
   in Numba and hashed into addresses.  At two threads or more a helper recovers each chunk while this
   thread reads the next; on one thread the block is one chunk.
3. The header hash and the transactions and withdrawals tries, bottom up, one Keccak batch per height
   (``trie.ordered_roots``), on the calling thread while the helper finishes the last chunk.

With a ``sig_cache`` (``ledgerval.SignatureCache``), step 2 skips the recoveries the cache vouches for.  An
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

from ..errors import InvalidArgument, InvalidType
from ..hashing import hash_batch
from ..native_threads import resolve_threads
from ..sigcache import check_sig_cache
from . import header as hdr
from . import rlp
from .report import Authorization, Report
from .senders import Senders, quick_gil_handoff
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


def _open_json(block: dict):
    """-> (header, transaction objects, reader of one, the rest: () -> (withdrawals, stated hash))."""
    header = hdr.header_from_json(block)

    def rest():
        stated = hdr.json_bytes(block, "hash", 32) if "hash" in block else None
        withdrawals = block.get("withdrawals")
        if withdrawals is not None:
            if not isinstance(withdrawals, list):
                raise TxError("withdrawals: expected a list")
            withdrawals = [hdr.withdrawal_from_json(w) for w in withdrawals]
        return withdrawals, stated
    return header, block["transactions"], from_json, rest


def _tx_from_rlp(item) -> Tx:
    if isinstance(item, list):
        return from_rlp(item, 0)
    if item and item[0] < 0x80:
        try:
            payload = rlp.decode(item[1:])
        except rlp.RLPError as exc:
            raise TxError(f"typed transaction RLP: {exc}") from None
        return from_rlp(payload, item[0])
    raise TxError("a typed transaction must start with its type byte (0x01-0x7f)")


def _open_rlp(data: bytes):
    try:
        items = rlp.decode(data)
    except rlp.RLPError as exc:
        raise TxError(f"block RLP: {exc}") from None
    if not isinstance(items, list) or len(items) not in (3, 4) or not isinstance(items[1], list):
        raise TxError("block RLP: expected [header, transactions, ommers] or [..., withdrawals]")
    header = hdr.header_from_rlp(items[0])

    def rest():
        if len(items) != 4:
            return None, None
        if not isinstance(items[3], list):
            raise TxError("block RLP: withdrawals must be a list")
        return [hdr.withdrawal_from_rlp(w) for w in items[3]], None
    return header, items[1], _tx_from_rlp, rest


def _read(header, items: list, read_one, rest, report: Report, senders: Senders):
    """Read every transaction, handing each chunk to ``senders`` as soon as it is read; then the rest of the
    block.  -> (transactions, None where unreadable; withdrawals; stated hash)."""
    txs: list[Tx | None] = []
    for lo, hi in senders.bounds(len(items)):
        good = []
        for i in range(lo, hi):
            try:
                tx = read_one(items[i])
                good.append((i, tx))
            except TxError as exc:
                tx = None
                report.add("malformed", i, f"transaction {i}: {exc}")
            txs.append(tx)
        senders.add(good)
    withdrawals, stated = rest()
    if ("withdrawalsRoot" in header.fields) != (withdrawals is not None):
        raise TxError("the header's withdrawalsRoot and the body's withdrawals must come together")
    return txs, withdrawals, stated


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
    senders = Senders(t, sig_cache)
    with quick_gil_handoff(t > 1):
        try:
            header, items, read_one, rest = (_open_json if kind == "json" else _open_rlp)(data)
            txs, withdrawals, stated_hash = _read(header, items, read_one, rest, report, senders)
        except TxError as exc:
            senders.parts()  # nothing left running on the helper
            report.add("malformed", None, str(exc))
            return report
        # on the calling thread while the helper recovers the last chunk
        report.header_hash = hash_batch("keccak256", [header.encoded], threads=1)[0].tobytes()
        roots = _roots(txs, withdrawals, 1)
        parts = senders.parts()
    report.fork = header.fork
    report.number = int.from_bytes(header.fields["number"], "big")
    good = [g for p in parts for g in p.txs]
    report.signatures_checked = senders.signatures
    report.cached_signatures = sum(p.cached for p in parts)
    report.unstated = {"tx_hash": sum(tx.hash is None for _, tx in good),
                       "sender": sum(tx.sender is None for _, tx in good), "header_hash": int(stated_hash is None)}

    report.senders = [None] * len(txs)
    report.tx_hashes = [None] * len(txs)
    signer = {}
    for p in parts:
        addrs = p.pending.result()
        for k, (i, tx) in enumerate(p.txs):
            _check_tx(report, i, tx, p.tx_hashes[k].tobytes(), addrs[k], chain_id)
        signer.update(((i, j), s) for (i, j, _), s in zip(p.auths, addrs[len(p.txs):]))
    report.authorizations = [Authorization(i, j, signer.get((i, j)))
                             for i, tx in good for j, _ in enumerate(tx.auths)]

    _check_roots(report, header, roots)
    if stated_hash is not None:
        report.header_hash_ok = report.header_hash == stated_hash
        if not report.header_hash_ok:
            report.add("bad_header_hash", None, f"header hashes to 0x{report.header_hash.hex()}, stated "
                                                f"0x{stated_hash.hex()}")
    return report


def _check_tx(report: Report, i: int, tx: Tx, h: bytes, sender: bytes | None, chain_id: int | None) -> None:
    report.tx_hashes[i] = h
    report.senders[i] = sender
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
