"""EVM transactions: read from JSON-RPC objects or from RLP, re-encoded canonically.

Every transaction becomes a ``Tx``: its type, the RLP encodings of its payload fields in order, its signature
(r, s, recovery parity) and what the input stated (hash, sender).  From the payload come the two encodings
the checks hash: the signed transaction (its Keccak-256 is the transaction hash and its bytes the value in
the transactions trie) and the signing payload (whose Keccak-256 the sender signed):

  type 0 legacy      rlp([nonce, gasPrice, gas, to, value, data, v, r, s]); signs rlp(first six) before
                     EIP-155 (v = 27/28), rlp(first six + [chainId, 0, 0]) after it (v = 35 + 2 chainId + y)
  type 1 EIP-2930    0x01 || rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList, y, r, s])
  type 2 EIP-1559    0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList, ...])
  type 3 EIP-4844    type 2's fields + [maxFeePerBlobGas, blobVersionedHashes]; ``to`` required
  type 4 EIP-7702    type 2's fields + [authorizationList]; ``to`` required
  typed signing payload: type || rlp(fields without y, r, s)

An EIP-7702 authorization [chainId, address, nonce, y, r, s] is signed over 0x05 || rlp([chainId, address,
nonce]).  A field that is missing, of the wrong JSON type, not hex, too long, or a non-canonical RLP
integer raises ``TxError``; the validator reports it as ``malformed`` with the transaction's index.
"""
from __future__ import annotations

from .rlp import RLPError, as_int, enc_bytes, enc_int, enc_list, int_bytes

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = N >> 1

# (JSON name, kind) per transaction type, in RLP order, signature excluded
_BASE = [("nonce", "int"), ("gasPrice", "int"), ("gas", "int"), ("to", "to"), ("value", "int"), ("input", "data")]
_1559 = [("chainId", "int"), ("nonce", "int"), ("maxPriorityFeePerGas", "int"), ("maxFeePerGas", "int"),
         ("gas", "int"), ("to", "to"), ("value", "int"), ("input", "data"), ("accessList", "access")]
FIELDS = {
    0: _BASE,
    1: [("chainId", "int")] + _BASE + [("accessList", "access")],
    2: _1559,
    3: [(n, "addr" if n == "to" else k) for n, k in _1559] + [("maxFeePerBlobGas", "int"),
                                                             ("blobVersionedHashes", "hashes")],
    4: [(n, "addr" if n == "to" else k) for n, k in _1559] + [("authorizationList", "auths")],
}
TYPES = tuple(FIELDS)
_AUTH = [("chainId", "int"), ("address", "addr"), ("nonce", "int")]


class TxError(ValueError):
    """A transaction that cannot be read: the report's ``malformed``."""


class Auth:
    """One EIP-7702 authorization: the encoding its signer signed, and the signature."""

    __slots__ = ("r", "s", "signing", "y")

    def __init__(self, signing: bytes, r: int, s: int, y: int):
        self.signing, self.r, self.s, self.y = signing, r, s, y

    def usable(self) -> bool:
        """EIP-7702 skips (does not reject the block for) an authorization with y > 1, r or s out of range,
        or high s: its signer is reported as None."""
        return self.y <= 1 and 0 < self.r < N and 0 < self.s <= HALF_N

    def sig65(self) -> bytes:
        return self.r.to_bytes(32, "big") + self.s.to_bytes(32, "big") + bytes((self.y,))


class Tx:
    __slots__ = ("auths", "chain_id", "encoded", "hash", "r", "s", "sender", "signing", "type", "y")

    def __init__(self, type_: int, fields: list[bytes], chain_id: int | None, v: int, r: int, s: int,
                 auths: list[Auth], stated_hash: bytes | None = None, stated_sender: bytes | None = None,
                 sig: bytes | None = None):
        """``sig``, when given, is rlp(v) || rlp(r) || rlp(s) (the fast reader has those bytes already)."""
        self.type, self.chain_id, self.r, self.s, self.auths = type_, chain_id, r, s, auths
        self.hash, self.sender = stated_hash, stated_sender
        if sig is None:
            sig = enc_int(v) + enc_int(r) + enc_int(s)
        payload = b"".join(fields)
        if type_ == 0:
            if v in (27, 28):
                self.y, self.chain_id = v - 27, None
                self.signing = enc_list(payload)
            elif v >= 35:
                self.y, self.chain_id = (v - 35) & 1, (v - 35) >> 1
                self.signing = enc_list(payload + enc_int(self.chain_id) + b"\x80\x80")
            else:
                raise TxError(f"legacy v = {v}: expected 27, 28 or 35 + 2 * chainId + parity")
            self.encoded = enc_list(payload + sig)
        else:
            if v > 1:
                raise TxError(f"y parity {v}: expected 0 or 1")
            self.y = v
            prefix = bytes((type_,))
            self.signing = prefix + enc_list(payload)
            self.encoded = prefix + enc_list(payload + sig)
        if not (0 < r < N and 0 < s < N):
            raise TxError("r or s outside [1, n-1]")

    def sig65(self) -> bytes:
        return self.r.to_bytes(32, "big") + self.s.to_bytes(32, "big") + bytes((self.y,))


# ---- JSON ----------------------------------------------------------------------------------------------

def _hex(obj: dict, name: str) -> str:
    v = obj.get(name)
    if type(v) is not str or v[:2] not in ("0x", "0X"):
        got = "nothing" if v is None else repr(v)[:40] if isinstance(v, str) else type(v).__name__
        raise TxError(f"{name}: expected a 0x-prefixed hex string, got {got}")
    return v[2:]


def _unhex(h: str, name: str) -> bytes:
    try:
        b = bytes.fromhex(h)
    except ValueError:
        b = None
    if b is None or 2 * len(b) != len(h):  # fromhex skips spaces; the length catches them
        raise TxError(f"{name}: not a hex string of whole bytes")
    return b


def json_qty(obj: dict, name: str, max_bytes: int = 32) -> bytes:
    """A quantity straight to its minimal big-endian bytes (no int on the way: this is most fields)."""
    raw = _hex(obj, name)
    h = raw.lstrip("0")
    if len(h) > 2 * max_bytes or not raw:
        raise TxError(f"{name}: not a quantity of at most {max_bytes} bytes")
    return _unhex("0" + h if len(h) & 1 else h, name)


def json_int(obj: dict, name: str, max_bytes: int = 32) -> int:
    return int.from_bytes(json_qty(obj, name, max_bytes), "big")


def json_bytes(obj: dict, name: str, size: int | None = None) -> bytes:
    b = _unhex(_hex(obj, name), name)
    if size is not None and len(b) != size:
        raise TxError(f"{name}: {len(b)} bytes, expected {size}")
    return b


def _json_list(obj: dict, name: str) -> list:
    v = obj.get(name)
    if not isinstance(v, list):
        raise TxError(f"{name}: expected a list")
    return v


def _json_field(obj: dict, name: str, kind: str, auths: list[Auth]) -> bytes:
    if kind == "int":
        return enc_bytes(json_qty(obj, name))
    if kind == "data":
        return enc_bytes(json_bytes(obj, name))
    if kind == "addr" or (kind == "to" and obj.get(name) is not None):
        return enc_bytes(json_bytes(obj, name, 20))
    if kind == "to":
        return b"\x80"  # contract creation
    if kind == "hashes":
        hs = _json_list(obj, name)
        return enc_list(b"".join(enc_bytes(json_bytes({"h": h}, "h", 32)) for h in hs))
    if kind == "access":
        out = []
        for e in _json_list(obj, name):
            if not isinstance(e, dict):
                raise TxError(f"{name}: entries must be objects")
            keys = b"".join(enc_bytes(json_bytes({"k": k}, "k", 32)) for k in _json_list(e, "storageKeys"))
            out.append(enc_list(enc_bytes(json_bytes(e, "address", 20)) + enc_list(keys)))
        return enc_list(b"".join(out))
    if kind == "auths":
        out = []
        for a in _json_list(obj, name):
            if not isinstance(a, dict):
                raise TxError(f"{name}: entries must be objects")
            head = b"".join(_json_field(a, n, k, auths) for n, k in _AUTH)
            y = json_int(a, "yParity", 1)
            r, s = json_int(a, "r"), json_int(a, "s")
            auths.append(Auth(b"\x05" + enc_list(head), r, s, y))
            out.append(enc_list(head + enc_int(y) + enc_int(r) + enc_int(s)))
        return enc_list(b"".join(out))
    raise AssertionError(kind)


def from_json(obj) -> Tx:
    """A transaction object of ``eth_getBlockByNumber(n, true)``."""
    try:
        return _from_json_fast(obj)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        pass
    return _from_json_checked(obj)  # the same rules, field by field, to say what is wrong (TxError)


def _q(v) -> bytes:
    """A quantity's minimal big-endian bytes, or an exception of any kind (the fast path's only test)."""
    if v[:2] != "0x" or len(v) < 3:
        raise ValueError
    h = v[2:].lstrip("0")
    if len(h) & 1:
        h = "0" + h
    b = bytes.fromhex(h)
    if 2 * len(b) != len(h) or len(b) > 32:
        raise ValueError
    return b


def _d(v, size: int = -1) -> bytes:
    if v[:2] != "0x":
        raise ValueError
    h = v[2:]
    b = bytes.fromhex(h)
    if 2 * len(b) != len(h) or (size >= 0 and len(b) != size):
        raise ValueError
    return b


_SHORT = [bytes((0x80 + n,)) for n in range(33)]   # RLP string headers for 0..32 bytes
_QTY: dict[str, bytes] = {}                          # quantity string -> its RLP (see _rq)
_QTY_MAX = 4096


def _rq(v) -> bytes:
    """A quantity's RLP.  Remembered by its string: a block repeats many (chain id, parity, gas limits,
    fees, zero values), and a lookup costs a tenth of a parse (with the per-type encoders below, it took the
    reader from 6.0 to 4.9 ms CPU on the mainnet blocks, medians of 40).  Bounded; only well-formed
    quantities are stored."""
    e = _QTY.get(v)
    if e is None:
        b = _q(v)
        e = b if len(b) == 1 and b[0] < 0x80 else _SHORT[len(b)] + b
        if len(_QTY) >= _QTY_MAX:
            _QTY.clear()
        _QTY[v] = e
    return e


def _rdata(v) -> bytes:
    return enc_bytes(_d(v))


def _raddr(v) -> bytes:
    return b"\x94" + _d(v, 20)


def _rto(v) -> bytes:
    return b"\x80" if v is None else b"\x94" + _d(v, 20)   # None: contract creation


def _rcompound(kind: str):
    def enc(v) -> bytes:
        if kind == "access" and v == []:
            return b"\xc0"
        return _json_field({kind: v}, kind, kind, [])
    return enc


_FAST = {"int": _rq, "data": _rdata, "addr": _raddr, "to": _rto, "access": _rcompound("access"),
         "hashes": _rcompound("hashes")}
# per type, (JSON name, encoder) in RLP order; type 4's authorizations go through _json_field (they add Auths)
_FAST_FIELDS = {t: tuple((n, _FAST[k]) for n, k in spec) for t, spec in FIELDS.items() if t != 4}


def _from_json_fast(obj: dict) -> Tx:
    """``from_json`` for well-formed input, with fewer calls per field: it accepts exactly what the checked
    path accepts (the same hex, length and range rules) and raises anything at all otherwise.  About 2x
    faster than the checked path on the mainnet blocks (4.2 against 8.2 ms CPU for the 649 transactions,
    medians of 30): the JSON reader is most of a block's Python time."""
    t = _TYPE_OF.get(obj["type"]) if "type" in obj else 0
    if t is None:
        t = int.from_bytes(_q(obj["type"]), "big")
    auths: list[Auth] = []
    spec = _FAST_FIELDS.get(t)
    if spec is not None:
        fields = [enc(obj[name]) for name, enc in spec]
    else:
        fields = [_json_field(obj, name, kind, auths) if kind in ("auths", "hashes", "access")
                  else _FAST[kind](obj[name]) for name, kind in FIELDS[t]]
    if t == 0:
        ve = _rq(obj["v"])
    else:   # RLP is one-to-one on quantities: equal encodings, equal values
        ve = _rq(obj["yParity"] if "yParity" in obj else obj["v"])
        if "yParity" in obj and "v" in obj and _rq(obj["v"]) != ve:
            raise ValueError
    rb, sb = _q(obj["r"]), _q(obj["s"])
    sig = b"".join([ve] + [b if len(b) == 1 and b[0] < 0x80 else _SHORT[len(b)] + b for b in (rb, sb)])
    chain_id = _rlp_int(fields[0]) if t else None   # every typed transaction starts with its chain id
    stated_hash = _d(obj["hash"], 32) if "hash" in obj else None
    sender = _d(obj["from"], 20) if "from" in obj else None
    return Tx(t, fields, chain_id, _rlp_int(ve), int.from_bytes(rb, "big"), int.from_bytes(sb, "big"),
              auths, stated_hash, sender, sig)


_TYPE_OF = {f"0x{t:x}": t for t in FIELDS}


def _rlp_int(e: bytes) -> int:
    """The value of a quantity's RLP (a single byte below 0x80 is itself; otherwise a header byte first)."""
    return e[0] if len(e) == 1 and e[0] < 0x80 else int.from_bytes(e[1:], "big")


def _from_json_checked(obj) -> Tx:
    if not isinstance(obj, dict):
        raise TxError(f"expected a transaction object, got {type(obj).__name__}")
    t = json_int(obj, "type", 1) if "type" in obj else 0
    if t not in FIELDS:
        raise TxError(f"unknown transaction type {t}")
    auths: list[Auth] = []
    fields = [_json_field(obj, name, kind, auths) for name, kind in FIELDS[t]]
    if t == 0:
        v = json_int(obj, "v")
    else:
        v = json_int(obj, "yParity") if "yParity" in obj else json_int(obj, "v")
        if "yParity" in obj and "v" in obj and json_int(obj, "v") != v:
            raise TxError("v and yParity disagree")
    chain_id = json_int(obj, "chainId") if t else None
    stated_hash = json_bytes(obj, "hash", 32) if "hash" in obj else None
    sender = json_bytes(obj, "from", 20) if "from" in obj else None
    return Tx(t, fields, chain_id, v, json_int(obj, "r"), json_int(obj, "s"), auths, stated_hash, sender)


# ---- RLP -----------------------------------------------------------------------------------------------

def rlp_scalar(item, what: str, size: int | None = None) -> bytes:
    if not isinstance(item, bytes):
        raise TxError(f"{what}: expected a scalar, got a list")
    if size is not None and len(item) != size:
        raise TxError(f"{what}: {len(item)} bytes, expected {size}")
    return item


def rlp_int(item, what: str, max_bytes: int = 32) -> int:
    try:
        return as_int(item, what, max_bytes)
    except RLPError as exc:
        raise TxError(str(exc)) from None


def _items(item, what: str) -> list:
    if not isinstance(item, list):
        raise TxError(f"{what}: expected a list")
    return item


def _rlp_field(item, name: str, kind: str, auths: list[Auth]) -> bytes:
    if kind == "int":
        return enc_bytes(int_bytes(rlp_int(item, name)))
    if kind == "data":
        return enc_bytes(rlp_scalar(item, name))
    if kind == "addr" or kind == "to":
        b = rlp_scalar(item, name)
        if len(b) != 20 and not (kind == "to" and not b):
            raise TxError(f"{name}: {len(b)} bytes, expected 20")
        return enc_bytes(b)
    if kind == "hashes":
        return enc_list(b"".join(enc_bytes(rlp_scalar(h, name, 32)) for h in _items(item, name)))
    if kind == "access":
        out = []
        for e in _items(item, name):
            e = _items(e, name)
            if len(e) != 2:
                raise TxError(f"{name}: an entry has {len(e)} items, expected 2")
            keys = b"".join(enc_bytes(rlp_scalar(k, name, 32)) for k in _items(e[1], name))
            out.append(enc_list(enc_bytes(rlp_scalar(e[0], name, 20)) + enc_list(keys)))
        return enc_list(b"".join(out))
    if kind == "auths":
        out = []
        for a in _items(item, name):
            a = _items(a, name)
            if len(a) != 6:
                raise TxError(f"{name}: an authorization has {len(a)} items, expected 6")
            head = b"".join(_rlp_field(x, n, k, auths) for x, (n, k) in zip(a[:3], _AUTH))
            y, r, s = rlp_int(a[3], "yParity", 1), rlp_int(a[4], "r"), rlp_int(a[5], "s")
            auths.append(Auth(b"\x05" + enc_list(head), r, s, y))
            out.append(enc_list(head + enc_int(y) + enc_int(r) + enc_int(s)))
        return enc_list(b"".join(out))
    raise AssertionError(kind)


def from_rlp(decoded, t: int) -> Tx:
    """A decoded transaction: the legacy list (``t`` = 0), or a typed transaction's decoded payload."""
    if t not in FIELDS:
        raise TxError(f"unknown transaction type {t}")
    spec = FIELDS[t]
    items = _items(decoded, "transaction")
    if len(items) != len(spec) + 3:
        raise TxError(f"type {t} transaction has {len(items)} fields, expected {len(spec) + 3}")
    auths: list[Auth] = []
    fields = [_rlp_field(x, name, kind, auths) for x, (name, kind) in zip(items, spec)]
    chain_id = rlp_int(items[0], "chainId") if t else None
    v, r, s = (rlp_int(x, n) for x, n in zip(items[-3:], ("v", "r", "s")))
    return Tx(t, fields, chain_id, v, r, s, auths)
