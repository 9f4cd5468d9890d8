"""Block-level rules: proof of work against nBits, the Merkle root with CVE-2012-2459 mutation detection,
Bitcoin Core's CheckBlock/CheckTransaction structure rules, and the BIP141 witness commitment.

Every failure is appended to the report with its code; nothing here raises on bad data.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..kernels import bitcoin_scan as S
from ..merkle import merkle_root_mutated
from . import report as R
from .script import legacy_sigop_count
from .wire import _ZERO32, Block, display_hex

POW_LIMIT = 0x00000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF  # mainnet
MAX_BLOCK_WEIGHT = 4_000_000
WITNESS_SCALE_FACTOR = 4
MAX_BLOCK_SIGOPS_COST = 80_000
MAX_MONEY = 21_000_000 * 100_000_000
MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60
WITNESS_COMMITMENT_HEADER = bytes.fromhex("6a24aa21a9ed")


def decode_compact(bits: int) -> tuple[int, bool, bool]:
    """(target, negative, overflow) of an nBits value, as arith_uint256::SetCompact reads it."""
    size = bits >> 24
    word = bits & 0x007FFFFF
    if size <= 3:
        target = word >> (8 * (3 - size))
    else:
        target = word << (8 * (size - 3))
    negative = word != 0 and bool(bits & 0x00800000)
    overflow = word != 0 and (size > 34 or (word > 0xFF and size > 33) or (word > 0xFFFF and size > 32))
    return target, negative, overflow


def check_pow(block_hash: bytes, bits: int, pow_limit: int = POW_LIMIT) -> tuple[bool, str | None, str]:
    """(ok, error code, detail) for Core's CheckProofOfWork; ``block_hash`` in internal byte order."""
    target, negative, overflow = decode_compact(bits)
    if negative or overflow or target == 0 or target > pow_limit:
        why = "negative" if negative else "overflowing" if overflow else "zero" if target == 0 else "above the limit"
        return False, R.BAD_DIFFBITS, f"nBits {bits:#010x} gives a {why} target"
    if int.from_bytes(block_hash, "little") > target:
        return False, R.HIGH_HASH, f"block hash {display_hex(block_hash)} above the target of nBits {bits:#010x}"
    return True, None, ""


def check_header(block: Block, block_hash: bytes, rep: R.BitcoinReport, *, check_pow_: bool = True,
                 now: int | None = None) -> bool:
    ok = True
    if check_pow_:
        pow_ok, code, detail = check_pow(block_hash, block.header.bits)
        if not pow_ok:
            rep.add(code, detail)
            ok = False
    if now is not None and block.header.time > now + MAX_FUTURE_BLOCK_TIME:
        rep.add(R.TIME_TOO_NEW, f"block time {block.header.time} more than 2 hours after {now}")
        ok = False
    return ok


def merkle_root(txids, threads: int | None = None) -> tuple[bytes, bool]:
    """(root, mutated) over the txids in internal byte order (a list of bytes or an (N, 32) uint8 array)."""
    if len(txids) == 0:
        return bytes(32), False
    return merkle_root_mutated("sha256d", txids, threads=threads)


def check_structure(block: Block, rep: R.BitcoinReport, raw: bytes | None = None,
                    starts: list[int] | None = None, columns=None) -> None:
    """CheckBlock's size, coinbase and sigop rules and CheckTransaction for every transaction, plus the
    weight limit.  Txids must already be set on the transactions.  With the block's bytes ``raw`` and the
    offset of each transaction in them (``starts``, as the parser records) the legacy sigops are counted
    by one kernel pass over the bytes (kernels/bitcoin_sigops.py) instead of per script in Python.  With
    the scan's ``columns`` (``BlockParser.columns()``) one kernel pass (kernels/bitcoin_txcheck.py) picks the
    transactions CheckTransaction's rules could fail and only those go through them."""
    txs = block.txs
    if columns is not None and len(columns[1]) != len(txs) + 1:
        columns = None
    if columns is None:
        stripped_size = block.size - sum(len(tx.raw) - len(tx.stripped) for tx in txs)
    else:
        stripped_size = block.size - _witness_bytes(columns[1])
    if not txs or len(txs) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT \
            or stripped_size * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT:
        rep.add(R.BAD_LENGTH, f"{len(txs)} transactions, stripped size {stripped_size}")
    weight = stripped_size * (WITNESS_SCALE_FACTOR - 1) + block.size
    if weight > MAX_BLOCK_WEIGHT:
        rep.add(R.BAD_WEIGHT, f"block weight {weight} over {MAX_BLOCK_WEIGHT}")
    if not txs:
        return
    if not txs[0].coinbase:
        rep.add(R.CB_MISSING, "first transaction is not a coinbase", 0)
    for i in [i for i, tx in enumerate(txs) if tx.coinbase and i]:
        rep.add(R.CB_MULTIPLE, f"transaction {i} is a second coinbase", i)
    ids = [tx.txid for tx in txs]
    if len(set(ids)) != len(ids):  # (a set first: the common block repeats none)
        seen: dict[bytes, int] = {}
        for i, txid in enumerate(ids):
            j = seen.setdefault(txid, i)
            if j != i:
                rep.add(R.DUPLICATE_TXID, f"transaction {i} repeats the txid of transaction {j}", i)
    if columns is not None:
        from ..kernels.bitcoin_txcheck import tx_flags

        for i in np.flatnonzero(tx_flags(*columns)).tolist():
            _check_transaction(txs[i], i, rep)
    else:
        for i, tx in enumerate(txs):
            _check_transaction(tx, i, rep)
    sigops = _legacy_sigops(txs, raw, starts, columns)
    if sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST:
        rep.add(R.TOO_MANY_SIGOPS, f"{sigops} legacy sigops (x{WITNESS_SCALE_FACTOR} > {MAX_BLOCK_SIGOPS_COST})")


def _witness_bytes(ttab: np.ndarray) -> int:
    """What the witness serialization adds to the scanned transactions (``ttab``, scan_txs's table): marker,
    flag and witness records, the bytes outside the body, version and locktime."""
    t = ttab[:-1]
    seg = t[:, S.T_SEG] != 0
    return int(((t[:, S.T_HI] - t[:, S.T_LO]) - (t[:, S.T_BODY_HI] - t[:, S.T_BODY_LO]) - 8)[seg].sum())


def _legacy_sigops(txs, raw: bytes | None, starts: list[int] | None, columns=None) -> int:
    if columns is not None:
        from ..kernels.bitcoin_sigops import block_sigops

        t = columns[1][:-1]
        n = block_sigops(columns[0], t[:, S.T_LO], t[:, S.T_HI], t[:, S.T_SEG] != 0)
        if n >= 0:
            return n
    if raw is not None and starts is not None and len(starts) == len(txs):
        from ..kernels.bitcoin_sigops import block_sigops

        lo = np.asarray(starts, dtype=np.int64)
        hi = lo + np.fromiter(map(len, (tx.raw for tx in txs)), dtype=np.int64, count=len(txs))
        seg = np.fromiter((tx.has_witness for tx in txs), dtype=bool, count=len(txs))
        n = block_sigops(np.frombuffer(raw, dtype=np.uint8), lo, hi, seg)
        if n >= 0:
            return n
    n = 0  # the reference, one script at a time
    for tx in txs:
        for txin in tx.vin:
            n += legacy_sigop_count(txin.script_sig)
        for out in tx.vout:
            n += legacy_sigop_count(out.script_pubkey)
    return n


def _check_transaction(tx, i: int, rep: R.BitcoinReport) -> None:
    if not tx.vin:
        rep.add(R.VIN_EMPTY, f"transaction {i} has no inputs", i)
    if not tx.vout:
        rep.add(R.VOUT_EMPTY, f"transaction {i} has no outputs", i)
    if len(tx.stripped) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT:
        rep.add(R.TX_OVERSIZE, f"transaction {i} stripped size {len(tx.stripped)}", i)
    total = 0
    for k, out in enumerate(tx.vout):
        if out.value < 0:
            rep.add(R.VOUT_NEGATIVE, f"transaction {i} output {k} value {out.value}", i)
            return
        if out.value > MAX_MONEY:
            rep.add(R.VOUT_TOO_LARGE, f"transaction {i} output {k} value {out.value}", i)
            return
        total += out.value
        if total > MAX_MONEY:
            rep.add(R.VOUT_TOO_LARGE, f"transaction {i} output total over MAX_MONEY", i)
            return
    outpoints = {txin.outpoint for txin in tx.vin}
    if len(outpoints) != len(tx.vin):
        rep.add(R.INPUTS_DUPLICATE, f"transaction {i} spends one outpoint twice", i)
    if tx.coinbase:
        n = len(tx.vin[0].script_sig)
        if not 2 <= n <= 100:
            rep.add(R.CB_LENGTH, f"coinbase scriptSig is {n} bytes", i, 0)
    else:
        for k, txin in enumerate(tx.vin):
            if txin.prev_n == 0xFFFFFFFF and txin.prev_hash == _ZERO32:  # is_null_prevout() inline
                rep.add(R.PREVOUT_NULL, f"transaction {i} input {k} spends the null outpoint", i, k)


def check_witness_commitment(block: Block, rep: R.BitcoinReport) -> None:
    """BIP141: the last coinbase output starting 6a24aa21a9ed commits to the wtxid Merkle root with the
    coinbase's witness reserved value; without one, no transaction may carry witness data."""
    txs = block.txs
    if not txs:
        return
    cb = txs[0]
    pos = None
    for k, out in enumerate(cb.vout):
        spk = out.script_pubkey
        if len(spk) >= 38 and spk.startswith(WITNESS_COMMITMENT_HEADER):
            pos = k
    if pos is None:
        for i, tx in enumerate(txs):
            if tx.has_witness:
                rep.add(R.UNEXPECTED_WITNESS, f"transaction {i} has witness data but the block has no "
                        "witness commitment", i)
                return
        return
    wit = cb.vin[0].witness if cb.vin else []
    if len(wit) != 1 or len(wit[0]) != 32:
        rep.add(R.BAD_WITNESS_NONCE, "coinbase witness is not a single 32-byte reserved value", 0, 0)
        return
    leaves = [bytes(32)] + [tx.wtxid for tx in txs[1:]]
    root, _ = merkle_root(leaves)
    commitment = hashlib.sha256(hashlib.sha256(root + wit[0]).digest()).digest()
    if commitment != cb.vout[pos].script_pubkey[6:38]:
        rep.add(R.BAD_WITNESS_COMMITMENT, f"coinbase output {pos} does not commit to the wtxid Merkle root", 0)
