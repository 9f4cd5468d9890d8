"""Block headers and withdrawals: their fields per fork, read from JSON or RLP, and their RLP encodings.

The header is rlp([parentHash, ommersHash, beneficiary, stateRoot, transactionsRoot, receiptsRoot, logsBloom,
difficulty, number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce]) followed by one group of fields
per fork since London: baseFeePerGas (London), withdrawalsRoot (Shanghai), blobGasUsed, excessBlobGas,
parentBeaconBlockRoot (Cancun), requestsHash (Prague).  Which groups a header has decides its fork; a header
with a later group but not an earlier one is malformed.  A withdrawal is rlp([index, validatorIndex,
address, amount]) (amount in Gwei).
"""
from __future__ import annotations

from .rlp import enc_bytes, enc_list
from .tx import TxError, json_bytes, json_qty, rlp_int, rlp_scalar

# (JSON name, size in bytes or "int" or "data")
BASE = [("parentHash", 32), ("sha3Uncles", 32), ("miner", 20), ("stateRoot", 32), ("transactionsRoot", 32),
        ("receiptsRoot", 32), ("logsBloom", 256), ("difficulty", "int"), ("number", "int"), ("gasLimit", "int"),
        ("gasUsed", "int"), ("timestamp", "int"), ("extraData", "data"), ("mixHash", 32), ("nonce", 8)]
FORKS = [
    ("london", [("baseFeePerGas", "int")]),
    ("shanghai", [("withdrawalsRoot", 32)]),
    ("cancun", [("blobGasUsed", "int"), ("excessBlobGas", "int"), ("parentBeaconBlockRoot", 32)]),
    ("prague", [("requestsHash", 32)]),
]
WITHDRAWAL = [("index", "int"), ("validatorIndex", "int"), ("address", 20), ("amount", "int")]


class Header:
    """A header's fields (name -> bytes: integers minimal big-endian), its fork and its encoding."""

    __slots__ = ("encoded", "fields", "fork")

    def __init__(self, fields: dict[str, bytes], fork: str, encoded: bytes):
        self.fields, self.fork, self.encoded = fields, fork, encoded


def _spec(present) -> tuple[str, list]:
    """The fork and field list of a header holding the optional groups ``present(group)`` says it has."""
    spec = list(BASE)
    fork = "pre-london"
    missing = None
    for name, group in FORKS:
        if present(group):
            if missing is not None:
                raise TxError(f"header has {name} fields without {missing}'s")
            spec += group
            fork = name
        elif missing is None:
            missing = name
    return fork, spec


def _json_value(obj: dict, name: str, kind) -> bytes:
    if kind == "int":
        return json_qty(obj, name)
    return json_bytes(obj, name, None if kind == "data" else kind)


def header_from_json(block: dict) -> Header:
    def present(group):
        have = [n in block for n, _ in group]
        if any(have) and not all(have):
            raise TxError(f"header has only some of {', '.join(n for n, _ in group)}")
        return all(have)

    fork, spec = _spec(present)
    fields = {name: _json_value(block, name, kind) for name, kind in spec}
    return Header(fields, fork, enc_list(b"".join(enc_bytes(fields[n]) for n, _ in spec)))


def header_from_rlp(items) -> Header:
    if not isinstance(items, list):
        raise TxError("header: expected a list")
    n = len(items)
    sizes = [len(BASE)]
    for _, group in FORKS:
        sizes.append(sizes[-1] + len(group))
    if n not in sizes:
        raise TxError(f"header has {n} fields; a header of a known fork has one of {sizes}")
    seen = len(BASE)

    def present(group) -> bool:
        nonlocal seen
        if seen + len(group) > n:
            return False
        seen += len(group)
        return True

    fork, spec = _spec(present)
    fields = {}
    for item, (name, kind) in zip(items, spec):
        if kind == "int":
            rlp_int(item, name)
            fields[name] = item
        else:
            fields[name] = rlp_scalar(item, name, None if kind == "data" else kind)
    return Header(fields, fork, enc_list(b"".join(enc_bytes(fields[n]) for n, _ in spec)))


def withdrawal_from_json(w) -> bytes:
    if not isinstance(w, dict):
        raise TxError(f"withdrawal: expected an object, got {type(w).__name__}")
    return enc_list(b"".join(enc_bytes(_json_value(w, name, kind)) for name, kind in WITHDRAWAL))


def withdrawal_from_rlp(items) -> bytes:
    if not isinstance(items, list) or len(items) != len(WITHDRAWAL):
        raise TxError("withdrawal: expected a list of 4 items")
    out = []
    for item, (name, kind) in zip(items, WITHDRAWAL):
        if kind == "int":
            rlp_int(item, name, 8)
            out.append(enc_bytes(item))
        else:
            out.append(enc_bytes(rlp_scalar(item, name, kind)))
    return enc_list(b"".join(out))
