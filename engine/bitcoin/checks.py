"""The signature checks of a block, as the input classifier collects them for one batch: ``Batch`` (one
digest source per signature, one verify item per (signature, key) pair), ``InputCheck`` (what one input
needs of the verdicts, with OP_CHECKMULTISIG's ordered loop replayed over them), the height-dependent
``Rules`` and the key form the batch verifies (``normalise_key``).
"""
from __future__ import annotations

from .der import parse_der_lax


class Rules:
    """The consensus flags that depend on the block's height (from BIP34's coinbase height, when known)."""

    __slots__ = ("strict_der", "nulldummy")

    BIP66_HEIGHT = 363_725
    SEGWIT_HEIGHT = 481_824

    def __init__(self, height: int | None):
        self.strict_der = height is not None and height >= self.BIP66_HEIGHT
        self.nulldummy = height is not None and height >= self.SEGWIT_HEIGHT


class Batch:
    """The block's signature checks: one digest source per signature, one verify item per pair.

    Preimages are kept as ``parts`` (bytes or memoryview slices of per-transaction blobs) with one length
    per preimage, so the whole block's preimages are copied once, by one ``b"".join``, into the buffer
    ``hash_spans`` reads.  Single-signature inputs of the P2PKH fast path are recorded in the ``fast_*``
    lists instead of an ``InputCheck`` each."""

    def __init__(self):
        self.parts: list = []  # preimage bytes, back to back
        self.pre_lens: list[int] = []  # one per signature whose digest is a real hash
        self.sig_digest: list[int] = []  # per signature: index into pre_lens, or -1 for Core's uint256(1)
        self.sig_rs: list[bytes | None] = []  # per signature: 64-byte r||s, or None (does not parse)
        self.pair_sig: list[int] = []
        self.pair_key: list[bytes] = []  # keys as the kernel takes them (hybrid keys rewritten)
        self.inputs: list[InputCheck] = []
        self.fast_ti: list[int] = []  # P2PKH fast path: transaction, input, verify item (-1: none), label
        self.fast_k: list[int] = []
        self.fast_pair: list[int] = []
        self.fast_label: list[str] = []

    def add_preimage(self, preimage: bytes | None) -> None:
        """The next signature's digest: SHA-256d of ``preimage``, or Core's uint256(1) where it is None."""
        if preimage is None:
            self.sig_digest.append(-1)
        else:
            self.sig_digest.append(len(self.pre_lens))
            self.parts.append(preimage)
            self.pre_lens.append(len(preimage))

    def add_sig(self, sig: bytes, preimage: bytes | None) -> int:
        """Register one signature (with its hash-type byte stripped by the caller)."""
        self.add_preimage(preimage)
        self.sig_rs.append(parse_der_lax(sig))
        return len(self.sig_rs) - 1

    def add_pair(self, sig_id: int, key: bytes) -> int | None:
        """A verify item for (signature, key); None when it can never verify (the signature does not parse
        or the key is not a key), which CHECKSIG treats as false."""
        nk = normalise_key(key)
        if nk is None or self.sig_rs[sig_id] is None:
            return None
        self.pair_sig.append(sig_id)
        self.pair_key.append(nk)
        return len(self.pair_sig) - 1


class InputCheck:
    """What one input needs: ``m`` signatures matched in order against ``n`` keys (m = n = 1 for CHECKSIG).
    ``pairs[(s, k)]`` is the batch item of signature s against key k; a missing pair never matches."""

    __slots__ = ("tx_index", "input_index", "kind", "m", "n", "pairs")

    def __init__(self, tx_index, input_index, kind, m, n, pairs):
        self.tx_index = tx_index
        self.input_index = input_index
        self.kind = kind
        self.m = m
        self.n = n
        self.pairs = pairs

    def matched(self, verdict) -> int:
        """Replay CHECKMULTISIG's loop (top of stack first: the last signature against the last key) and
        return how many signatures matched; the input passes iff that is m."""
        isig, ikey = self.m - 1, self.n - 1
        sigs_left, keys_left = self.m, self.n
        matched = 0
        while sigs_left > 0:
            p = self.pairs.get((isig, ikey))
            if p is not None and verdict[p]:
                isig -= 1
                sigs_left -= 1
                matched += 1
            ikey -= 1
            keys_left -= 1
            if sigs_left > keys_left:
                break
        return matched


def normalise_key(key: bytes) -> bytes | None:
    """The key as the batch kernel takes it: hybrid 06/07 keys (accepted by Core's parser when the prefix
    matches y's parity) become 04 keys; any other length/prefix mismatch is None (never verifies)."""
    n = len(key)
    if n == 33 and key[0] in (2, 3):
        return key
    if n == 65:
        if key[0] == 4:
            return key
        if key[0] in (6, 7) and (key[64] & 1) == (key[0] & 1):
            return b"\x04" + key[1:]
    return None
