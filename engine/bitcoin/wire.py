"""Bounds-checked parsing of Bitcoin's wire serialization: block headers, legacy and segwit (BIP144)
transactions, CompactSize integers.

Every read goes through ``Reader``, which raises ``Malformed`` (never IndexError or struct.error) when the
bytes run out or break a rule Bitcoin Core's deserializer enforces (non-canonical CompactSize, a size above
MAX_SIZE, an empty or unknown segwit flag).  ``validate_block`` turns ``Malformed`` into a ``malformed``
report entry.

Byte order: hashes are kept in internal order (the raw SHA-256d output, as serialized); ``display_hex``
reverses them into the order block explorers and Bitcoin Core's RPC print.
"""
from __future__ import annotations

import struct
from bisect import bisect_left

MAX_SIZE = 0x02000000  # Bitcoin Core's serialize.h bound on any CompactSize read as a length or count
HEADER_SIZE = 80
# Blocks' transactions located by kernels/bitcoin_scan.py before the objects are made (the Python reader
# takes the rest, and every transaction when False: tests compare the two)
SCAN = True

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_ZERO32 = bytes(32)


class Malformed(Exception):
    """Bytes that do not deserialize; ``tx_index`` is the transaction being read (None in the header)."""

    def __init__(self, detail: str, tx_index: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.tx_index = tx_index


def display_hex(h: bytes) -> str:
    """A 32-byte hash in display order (reversed), as Bitcoin Core prints txids and block hashes."""
    return h[::-1].hex()


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + _U16.pack(n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + _U32.pack(n)
    return b"\xff" + _U64.pack(n)


class Reader:
    """A cursor over ``data[pos:end]``; every read checks the bound first."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def read(self, n: int, what: str) -> bytes:
        p = self.pos
        if n < 0 or n > self.end - p:
            raise Malformed(f"truncated {what}: need {n} bytes at offset {p}, {self.end - p} left")
        self.pos = p + n
        return self.data[p : p + n]

    def skip(self, n: int, what: str) -> int:
        """Advance n bytes; returns the start offset."""
        p = self.pos
        if n < 0 or n > self.end - p:
            raise Malformed(f"truncated {what}: need {n} bytes at offset {p}, {self.end - p} left")
        self.pos = p + n
        return p

    def u8(self, what: str) -> int:
        p = self.pos
        if p >= self.end:
            raise Malformed(f"truncated {what} at offset {p}")
        self.pos = p + 1
        return self.data[p]

    def u32(self, what: str) -> int:
        return _U32.unpack(self.read(4, what))[0]

    def i32(self, what: str) -> int:
        return _I32.unpack(self.read(4, what))[0]

    def i64(self, what: str) -> int:
        return _I64.unpack(self.read(8, what))[0]

    def compact(self, what: str, limit: bool = True) -> int:
        """A CompactSize: canonical (shortest) encoding only, and at most MAX_SIZE when ``limit``."""
        first = self.u8(what)
        if first < 0xFD:
            n = first
        elif first == 0xFD:
            n = _U16.unpack(self.read(2, what))[0]
            if n < 0xFD:
                raise Malformed(f"non-canonical CompactSize for {what}")
        elif first == 0xFE:
            n = _U32.unpack(self.read(4, what))[0]
            if n < 0x10000:
                raise Malformed(f"non-canonical CompactSize for {what}")
        else:
            n = _U64.unpack(self.read(8, what))[0]
            if n < 0x100000000:
                raise Malformed(f"non-canonical CompactSize for {what}")
        if limit and n > MAX_SIZE:
            raise Malformed(f"CompactSize {n} for {what} exceeds MAX_SIZE")
        return n

    def var_bytes(self, what: str) -> bytes:
        return self.read(self.compact(what), what)


_NO_WITNESS: tuple = ()


class TxIn:
    __slots__ = ("outpoint", "prev_hash", "prev_n", "script_sig", "sequence", "witness")

    def __init__(self, outpoint: bytes, script_sig: bytes, sequence: int, prev_n: int | None = None):
        self.outpoint = outpoint  # 36 bytes as serialized: prev txid (internal order) || vout LE
        self.prev_hash = outpoint[:32]
        self.prev_n = _U32.unpack_from(outpoint, 32)[0] if prev_n is None else prev_n
        self.script_sig = script_sig
        self.sequence = sequence
        # shared and immutable until parse_tx sets an input's own stack: one GC-tracked list less per input
        # (block 277647 parses ~5% faster, fewer young-generation collections)
        self.witness: list[bytes] | tuple = _NO_WITNESS

    def is_null_prevout(self) -> bool:
        return self.prev_n == 0xFFFFFFFF and self.prev_hash == _ZERO32


class TxOut:
    __slots__ = ("value", "script_pubkey", "raw")

    def __init__(self, value: int, script_pubkey: bytes, raw: bytes):
        self.value = value
        self.script_pubkey = script_pubkey
        self.raw = raw  # the serialized output: value (8) || CompactSize || script


class Tx:
    """One parsed transaction.  ``stripped`` is its serialization without witness data (what the txid
    hashes); ``raw`` is the full serialization as it appears in the block (what the wtxid hashes);
    ``coinbase`` is ``is_coinbase()`` as ``parse_tx`` found it."""

    __slots__ = ("version", "_vin", "_ins", "_vout", "_outs", "locktime", "has_witness", "stripped", "raw",
                 "txid", "wtxid", "_cache", "coinbase")

    def __init__(self):
        self.txid = b""
        self.wtxid = b""
        self._cache = {}
        self._vin = self._ins = self._vout = self._outs = None

    @property
    def vin(self) -> list[TxIn]:
        """The inputs.  A scanned witness-free transaction makes them on first use from the scan's rows
        (``_ins``: the ``_Scanned`` and the range of its input rows): a block's validation reads the
        outpoints from the rows (``input_rows``, or the scan's columns) and makes objects only for inputs
        that go to the Python classifier (block 277647: ~0.25 ms of objects, most unread)."""
        v = self._vin
        if v is None:
            sc, lo, hi = self._ins
            data = sc.data
            v = self._vin = [TxIn(data[a:a + 36], data[b:c], sq, n) for a, b, c, sq, n in sc.in_rows(lo, hi, False)]
            self._ins = None
        return v

    @vin.setter
    def vin(self, v: list[TxIn]) -> None:
        self._vin = v

    def input_rows(self):
        """(the block's bytes, [outpoint, scriptSig start, end, sequence, prevout index] per input) while
        the input objects are not made, else None."""
        if self._ins is None:
            return None
        sc, lo, hi = self._ins
        return sc.data, sc.in_rows(lo, hi, True)

    @property
    def n_in(self) -> int:
        """The number of inputs, without making their objects."""
        return self._ins[2] - self._ins[1] if self._vin is None else len(self._vin)

    @property
    def vout(self) -> list[TxOut]:
        """The outputs.  A scanned transaction makes them on first use from the scan's rows (``_outs``:
        the ``_Scanned`` and the range of its rows, [start, script start, end, value] each): a block's
        validation reads the outputs of the coinbase and of transactions spent inside the block, the column
        checks the rest (block 277647: ~0.19 ms of objects for 213 transactions, most never read)."""
        v = self._vout
        if v is None:
            sc, lo, hi = self._outs
            data = sc.data
            v = self._vout = [TxOut(value, data[b:c], data[a:c]) for a, b, c, value in sc.out_rows(lo, hi)]
            self._outs = None
        return v

    @vout.setter
    def vout(self, v: list[TxOut]) -> None:
        self._vout = v

    def is_coinbase(self) -> bool:
        return _is_coinbase(self.vin)


def _is_coinbase(vin: list[TxIn]) -> bool:
    return len(vin) == 1 and vin[0].prev_n == 0xFFFFFFFF and vin[0].prev_hash == _ZERO32


def parse_tx(r: Reader, allow_witness: bool = True) -> Tx:
    """Read one transaction at ``r.pos`` as Bitcoin Core's UnserializeTransaction does (BIP144 marker
    0x00 and flag byte; flag bit 1 means witness data follows the outputs)."""
    data = r.data
    start = r.pos
    tx = Tx()
    tx.version = r.i32("tx version")
    body_start = r.pos
    flags = 0
    vin = _parse_vin(r)
    if not vin and allow_witness:
        flags = r.u8("segwit flag")
        if flags != 0:
            body_start = r.pos
            vin = _parse_vin(r)
            vout = _parse_vout(r)
        else:
            vout = []  # an empty vin and a zero flag: Core reads this as zero inputs and zero outputs
    else:
        vout = _parse_vout(r)
    body_end = r.pos
    tx.has_witness = False
    if flags & 1 and allow_witness:
        flags ^= 1
        for txin in vin:
            n = r.compact("witness item count")
            txin.witness = [r.var_bytes("witness item") for _ in range(n)]
        if not any(txin.witness for txin in vin):
            raise Malformed("superfluous witness record")
        tx.has_witness = True
    if flags:
        raise Malformed("unknown transaction optional data (segwit flag)")
    lock_start = r.pos
    tx.locktime = r.u32("tx locktime")
    tx.vin = vin
    tx.vout = vout
    # ``is_coinbase()`` as parsed: the block's checks ask it ~4 times per transaction (~0.2 ms a block as calls)
    tx.coinbase = _is_coinbase(vin)
    tx.raw = data[start : r.pos]
    if tx.has_witness:
        tx.stripped = data[start : start + 4] + data[body_start:body_end] + data[lock_start : r.pos]
    else:
        tx.stripped = tx.raw
    return tx


def _parse_vin(r: Reader) -> list[TxIn]:
    n = r.compact("input count")
    out = []
    data, end = r.data, r.end
    u32 = _U32.unpack_from
    for _ in range(n):
        # the common case read in place (one-byte script length, everything present): 732 inputs of block
        # 277647 parse in ~0.45 ms instead of ~0.9 ms through Reader's per-field calls
        p = r.pos
        if p + 37 <= end and data[p + 36] < 0xFD:
            q = p + 37
            s = q + data[p + 36]
            if s + 4 <= end:
                out.append(TxIn(data[p : p + 36], data[q:s], u32(data, s)[0], u32(data, p + 32)[0]))
                r.pos = s + 4
                continue
        outpoint = r.read(36, "outpoint")  # the general reads, which name what is missing
        script = r.var_bytes("scriptSig")
        seq = r.u32("sequence")
        out.append(TxIn(outpoint, script, seq))
    return out


def _parse_vout(r: Reader) -> list[TxOut]:
    n = r.compact("output count")
    out = []
    data, end = r.data, r.end
    i64 = _I64.unpack_from
    for _ in range(n):
        start = r.pos
        if start + 9 <= end and data[start + 8] < 0xFD:  # as in _parse_vin
            q = start + 9
            e = q + data[start + 8]
            if e <= end:
                out.append(TxOut(i64(data, start)[0], data[q:e], data[start:e]))
                r.pos = e
                continue
        value = r.i64("output value")
        script = r.var_bytes("scriptPubKey")
        out.append(TxOut(value, script, data[start : r.pos]))
    return out


class Header:
    __slots__ = ("raw", "version", "prev_hash", "merkle_root", "time", "bits", "nonce")

    def __init__(self, raw: bytes):
        self.raw = raw
        self.version = _I32.unpack(raw[0:4])[0]
        self.prev_hash = raw[4:36]
        self.merkle_root = raw[36:68]
        self.time, self.bits, self.nonce = struct.unpack("<III", raw[68:80])


class Block:
    __slots__ = ("header", "txs", "size", "tx_start")

    def __init__(self, header: Header, txs: list[Tx], size: int, tx_start: int):
        self.header = header
        self.txs = txs
        self.size = size
        self.tx_start = tx_start


class BlockParser:
    """A block parsed in pieces: the header and transaction count at construction, then transactions up to
    a byte position per ``parse_until`` call, so that a caller can start work on the first transactions
    while the rest are still bytes.  ``parse_block`` is this run to the end in one call; errors (Malformed)
    and their messages are the same either way."""

    __slots__ = ("block", "count", "r", "starts", "_scanned")

    def __init__(self, raw: bytes):
        r = self.r = Reader(raw)
        header = Header(r.read(HEADER_SIZE, "block header"))
        self.count = r.compact("transaction count")
        self.block = Block(header, [], len(raw), r.pos)
        self.starts: list[int] = []  # offset of each parsed transaction in raw
        self._scanned = None  # _Scanned: the transactions kernels/bitcoin_scan.py found, built on demand

    @property
    def done(self) -> bool:
        return len(self.block.txs) == self.count

    def scan_tables(self):
        """(raw as uint8, txs, ins, outs): ``kernels.bitcoin_scan.scan_txs``'s tables when the scan took every
        transaction of the block (row i is transaction i, parsed or not yet), else None."""
        sc = self._scanned
        if sc is None or sc.k != self.count:
            return None
        return sc.columns

    def columns(self):
        """``scan_tables()`` once every transaction is parsed, else None."""
        return self.scan_tables() if self.done else None

    def parse_until(self, limit: int) -> int:
        """Parse transactions until one ends at or past byte ``limit`` (at least one, while any remain);
        returns how many transactions were parsed before this call.  A limit at or past the end of the bytes
        parses every transaction the count promises (so missing ones are malformed), and then trailing
        bytes are malformed."""
        r, txs, starts = self.r, self.block.txs, self.starts
        first = len(txs)
        if self._scanned is None:
            self._scanned = _Scanned(r.data, r.pos, self.count if SCAN else 0)
        scanned = self._scanned
        while len(txs) < self.count:
            i = len(txs)
            if i < scanned.k:  # found by the scan: the same objects without reading field by field
                # every scanned transaction up to the first that ends at or past limit (not at the end of
                # the bytes), in one go
                ends = scanned.ends
                j = bisect_left(ends, limit, i, scanned.k)
                cut = j < scanned.k and ends[j] < r.end
                stop = j + 1 if cut else scanned.k
                starts += scanned.starts[i:stop]
                txs += map(scanned.tx, range(i, stop))
                r.pos = ends[stop - 1]
                if cut:
                    break
                continue
            starts.append(r.pos)
            try:
                txs.append(parse_tx(r))
            except Malformed as e:
                starts.pop()
                raise Malformed(f"transaction {i}: {e.detail}", i) from None
            if limit <= r.pos < r.end:  # (at the end of the bytes, carry on: what is missing is malformed)
                break
        if self.done and r.remaining():
            raise Malformed(f"{r.remaining()} trailing bytes after the last transaction")
        return first


class _Scanned:
    """The transactions ``kernels.bitcoin_scan.scan_txs`` took (the first ``k`` of the block; the Python
    reader parses any after them): a ``Tx`` per transaction on demand, which makes its input and output
    objects when they are first read (a transaction with witnesses, its inputs at once).  A scanned
    transaction's objects equal what ``parse_tx`` makes of it (tests/test_bitcoin_wire_scan.py)."""

    __slots__ = ("data", "k", "t", "starts", "ends", "ver", "lock", "cb", "i", "o", "wit0", "w", "columns", "_ins",
                 "_outs")

    def __init__(self, data: bytes, pos: int, count: int):
        import numpy as np

        from ..kernels import bitcoin_scan as S

        self.data = data
        buf = np.frombuffer(data, dtype=np.uint8)
        self.k, txs, ins, outs, wit = S.scan_txs(buf, pos, count)
        # kept for the block checks that work on the columns (checkblock.check_structure)
        self.columns = (buf, txs, ins, outs)
        self.t = txs.tolist()
        self.starts = txs[:self.k, S.T_LO].tolist()
        self.ends = txs[:self.k, S.T_HI].tolist()
        # versions and locktimes read in bulk (two small gathers instead of two unpacks per transaction)
        four = np.arange(4)
        self.ver = np.ascontiguousarray(buf[txs[:self.k, S.T_LO, None] + four]).view("<i4").ravel().tolist()
        self.lock = np.ascontiguousarray(buf[txs[:self.k, S.T_HI, None] - 4 + four]).view("<u4").ravel().tolist()
        # coinbase candidates (one input, spending prevout index 0xFFFFFFFF); tx() checks the hash
        i0 = txs[:self.k, S.T_IN0]
        self.cb = [False] * self.k
        if len(ins):
            one = txs[1:self.k + 1, S.T_IN0] - i0 == 1
            self.cb = (one & (ins[np.minimum(i0, len(ins) - 1), S.I_PREV_N] == 0xFFFFFFFF)).tolist()
        # the input and output rows as lists, made when first needed: a block validated from the columns
        # (engine/bitcoin/colinputs.py) reads a few transactions' inputs and outputs, if any, one at a time
        self._ins = ins[:, [S.I_OP, S.I_SS_LO, S.I_SS_HI, S.I_SEQ, S.I_PREV_N]]
        self._outs = outs[:, [S.O_LO, S.O_SPK, S.O_HI, S.O_VALUE]]
        self.i = self.o = None
        self.wit0 = ins[:, S.I_WIT0].tolist() if len(wit) else None
        self.w = wit.tolist()

    def in_rows(self, lo: int, hi: int, every: bool) -> list:
        """Input rows lo..hi-1 as lists; ``every``: the caller will ask for every transaction's (the rows
        of the whole block are made at once)."""
        if self.i is None and not every:
            return self._ins[lo:hi].tolist()
        if self.i is None:
            self.i = self._ins.tolist()
        return self.i[lo:hi]

    def out_rows(self, lo: int, hi: int) -> list:
        return self.o[lo:hi] if self.o is not None else self._outs[lo:hi].tolist()

    def tx(self, j: int) -> Tx:
        data = self.data
        lo, hi, seg, body_lo, body_hi, i0, o0, w0, i1, o1, w1 = self.t[j]
        tx = Tx()
        tx.version = self.ver[j]
        tx._ins = (self, i0, i1)
        tx._outs = (self, o0, o1)
        # is_coinbase() from the rows: one input, spending the null outpoint
        if self.cb[j]:
            op = int(self._ins[i0, 0])
            tx.coinbase = data[op:op + 32] == _ZERO32
        else:
            tx.coinbase = False
        tx.locktime = self.lock[j]
        tx.raw = data[lo:hi]
        tx.has_witness = bool(seg)
        if seg:
            w = self.w
            bounds = self.wit0[i0:i1] + [w1]
            for k, txin in enumerate(tx.vin):
                txin.witness = [data[a:b] for a, b in w[bounds[k]:bounds[k + 1]]]
            tx.stripped = data[lo:lo + 4] + data[body_lo:body_hi] + data[hi - 4:hi]
        else:
            tx.stripped = tx.raw
        return tx


def parse_block(raw: bytes) -> Block:
    """Parse a whole serialized block; trailing bytes after the last transaction are malformed."""
    parser = BlockParser(raw)
    parser.parse_until(len(raw))
    return parser.block


def parse_transaction(raw: bytes) -> Tx:
    """One standalone serialized transaction (no trailing bytes allowed)."""
    r = Reader(raw)
    tx = parse_tx(r)
    if r.remaining():
        raise Malformed(f"{r.remaining()} trailing bytes after the transaction")
    return tx
