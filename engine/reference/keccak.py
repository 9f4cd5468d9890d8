"""Reference Keccak-256 in plain Python: Keccak-f[1600], rate 136 bytes, capacity 512 bits, with the
ORIGINAL Keccak padding (pad10*1 with domain byte 0x01, as Ethereum uses), not SHA3-256's 0x06.

Lanes are 64-bit little-endian words; the state is indexed ``A[x + 5*y]``.
"""
from __future__ import annotations

_M64 = (1 << 64) - 1
_RATE = 136

# Iota round constants (Keccak reference, section 1.2).
_RC = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)


def _rho_offsets() -> list[int]:
    # The rho offsets follow the (x, y) -> (y, 2x + 3y) walk from (1, 0): offset (t+1)(t+2)/2 at step t.
    r = [0] * 25
    x, y = 1, 0
    for t in range(24):
        r[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return r


_RHO = _rho_offsets()


def _rotl64(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M64 if n else v


def keccak_f1600(A: list[int]) -> list[int]:
    """The 24-round permutation on 25 lanes."""
    A = list(A)
    for rc in _RC:
        # theta
        C = [A[x] ^ A[x + 5] ^ A[x + 10] ^ A[x + 15] ^ A[x + 20] for x in range(5)]
        D = [C[(x - 1) % 5] ^ _rotl64(C[(x + 1) % 5], 1) for x in range(5)]
        A = [A[i] ^ D[i % 5] for i in range(25)]
        # rho and pi: B[y, 2x + 3y] = rot(A[x, y], r[x, y])
        B = [0] * 25
        for x in range(5):
            for y in range(5):
                B[y + 5 * ((2 * x + 3 * y) % 5)] = _rotl64(A[x + 5 * y], _RHO[x + 5 * y])
        # chi
        A = [B[i] ^ (~B[(i % 5 + 1) % 5 + 5 * (i // 5)] & B[(i % 5 + 2) % 5 + 5 * (i // 5)]) for i in range(25)]
        # iota
        A[0] ^= rc
    return A


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (Ethereum's hash)."""
    data = bytes(data)
    q = _RATE - len(data) % _RATE
    # Original Keccak pad10*1: first padding bit in byte 0x01, last in 0x80; one byte 0x81 if q == 1.
    pad = bytearray(q)
    pad[0] |= 0x01
    pad[-1] |= 0x80
    msg = data + bytes(pad)
    A = [0] * 25
    for off in range(0, len(msg), _RATE):
        block = msg[off : off + _RATE]
        for i in range(_RATE // 8):
            A[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        A = keccak_f1600(A)
    return b"".join(A[i].to_bytes(8, "little") for i in range(4))
