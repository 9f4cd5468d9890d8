"""Signature-hash preimages: the legacy algorithm (every hash type, ANYONECANPAY, the SIGHASH_SINGLE bug) and
BIP143 for witness v0.

The functions return *preimages*, so a whole block's worth can be hashed in one ``hash_spans("sha256d")``
call; ``None`` from ``legacy_preimage`` stands for Core's special result uint256(1) (input index past the
inputs, or SIGHASH_SINGLE past the outputs), which is a digest, not the hash of anything.

Per-transaction pieces (the inputs serialized with empty scripts, the outputs, the BIP143 midstate hashes)
are computed once per transaction and cached on the ``Tx``: a legacy preimage is then a few slices of one
precomputed blob instead of a re-serialization of the whole transaction per input.
"""
from __future__ import annotations

import hashlib
import struct

from .script import serialized_code_length, strip_codeseparators
from .wire import Tx, compact_size

SIGHASH_ALL = 1
SIGHASH_NONE = 2
SIGHASH_SINGLE = 3
SIGHASH_ANYONECANPAY = 0x80

ONE = (1).to_bytes(32, "little")  # Core's uint256(1) as the raw digest bytes the verifier reads
_NULL_OUTPUT = b"\xff" * 8 + b"\x00"  # CTxOut() serialized: value -1, empty script
_ZERO32 = bytes(32)
_I64 = struct.Struct("<q")
_U32 = struct.Struct("<I")


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


class _LegacyPieces:
    """Inputs serialized with empty scriptSigs, once with their own sequences and once with zeros."""

    __slots__ = ("head", "blob", "blob_zero", "offsets", "outputs", "tail")

    def __init__(self, tx: Tx):
        n = len(tx.vin)
        parts = [txin.outpoint + b"\x00" + _U32.pack(txin.sequence) for txin in tx.vin]
        zero_parts = [txin.outpoint + b"\x00\x00\x00\x00\x00" for txin in tx.vin]
        self.head = tx.stripped[:4] + compact_size(n)
        self.blob = b"".join(parts)
        self.blob_zero = b"".join(zero_parts)
        self.offsets = [41 * i for i in range(n + 1)]  # every empty-script input is 36 + 1 + 4 bytes
        self.outputs = compact_size(len(tx.vout)) + b"".join(o.raw for o in tx.vout)
        self.tail = _U32.pack(tx.locktime)


def _legacy_pieces(tx: Tx) -> _LegacyPieces:
    p = tx._cache.get("legacy")
    if p is None:
        p = tx._cache["legacy"] = _LegacyPieces(tx)
    return p


def legacy_preimage(tx: Tx, n_in: int, script_code: bytes, hash_type: int, clean: bool = False) -> bytes | None:
    """The bytes whose SHA-256d is the legacy signature hash of input ``n_in`` (Core's SignatureHash with
    SigVersion::BASE), or None where Core returns uint256(1).  ``script_code`` is the script after any
    FindAndDelete; OP_CODESEPARATORs are removed here as Core's serializer does.  ``hash_type`` is the
    full 32-bit value (the signature's last byte, or a test vector's signed int).  ``clean=True`` promises
    the script has no OP_CODESEPARATOR and no truncated push (true of every template ``inputs`` matches),
    which skips the opcode walk."""
    n_vin = len(tx.vin)
    if n_in < 0 or n_in >= n_vin:
        return None
    base = hash_type & 0x1F
    if base == SIGHASH_SINGLE and n_in >= len(tx.vout):
        return None
    p = _legacy_pieces(tx)
    txin = tx.vin[n_in]
    if clean:
        code = compact_size(len(script_code)) + script_code
    else:
        code = compact_size(serialized_code_length(script_code)) + strip_codeseparators(script_code)
    me = txin.outpoint + code + _U32.pack(txin.sequence)
    if hash_type & SIGHASH_ANYONECANPAY:
        inputs = tx.stripped[:4] + b"\x01" + me
    else:
        blob = p.blob_zero if base in (SIGHASH_NONE, SIGHASH_SINGLE) else p.blob
        inputs = p.head + blob[: p.offsets[n_in]] + me + blob[p.offsets[n_in + 1] :]
    if base == SIGHASH_NONE:
        outputs = b"\x00"
    elif base == SIGHASH_SINGLE:
        outputs = compact_size(n_in + 1) + _NULL_OUTPUT * n_in + tx.vout[n_in].raw
    else:
        outputs = p.outputs
    return inputs + outputs + p.tail + _U32.pack(hash_type & 0xFFFFFFFF)


def legacy_sighash(tx: Tx, n_in: int, script_code: bytes, hash_type: int) -> bytes:
    """The 32-byte legacy signature hash (raw SHA-256d output; reverse it for display order)."""
    pre = legacy_preimage(tx, n_in, script_code, hash_type)
    return ONE if pre is None else sha256d(pre)


class _Bip143Pieces:
    __slots__ = ("prevouts", "sequences", "outputs")

    def __init__(self, tx: Tx):
        self.prevouts = sha256d(b"".join(txin.outpoint for txin in tx.vin))
        self.sequences = sha256d(b"".join(_U32.pack(txin.sequence) for txin in tx.vin))
        self.outputs = sha256d(b"".join(o.raw for o in tx.vout))


def bip143_preimage(tx: Tx, n_in: int, script_code: bytes, amount: int, hash_type: int) -> bytes:
    """The BIP143 signature-hash preimage of input ``n_in`` spending ``amount`` satoshi; ``script_code`` is
    serialized as given (for P2WPKH the caller passes the implied P2PKH script)."""
    p = tx._cache.get("bip143")
    if p is None:
        p = tx._cache["bip143"] = _Bip143Pieces(tx)
    base = hash_type & 0x1F
    acp = hash_type & SIGHASH_ANYONECANPAY
    hash_prevouts = _ZERO32 if acp else p.prevouts
    hash_sequence = _ZERO32 if acp or base in (SIGHASH_SINGLE, SIGHASH_NONE) else p.sequences
    if base not in (SIGHASH_SINGLE, SIGHASH_NONE):
        hash_outputs = p.outputs
    elif base == SIGHASH_SINGLE and n_in < len(tx.vout):
        hash_outputs = sha256d(tx.vout[n_in].raw)
    else:
        hash_outputs = _ZERO32
    txin = tx.vin[n_in]
    return b"".join((
        tx.stripped[:4], hash_prevouts, hash_sequence, txin.outpoint,
        compact_size(len(script_code)), script_code, _I64.pack(amount), _U32.pack(txin.sequence),
        hash_outputs, _U32.pack(tx.locktime), _U32.pack(hash_type & 0xFFFFFFFF),
    ))


def bip143_sighash(tx: Tx, n_in: int, script_code: bytes, amount: int, hash_type: int) -> bytes:
    return sha256d(bip143_preimage(tx, n_in, script_code, amount, hash_type))
