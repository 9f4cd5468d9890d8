"""Normalise caller inputs (sequences of bytes or numpy arrays) into the flat buffers the kernels take."""
from __future__ import annotations

import numpy as np

from .errors import InvalidArgument, InvalidType

_BYTES = (bytes, bytearray, memoryview)


def as_items(name: str, seq) -> list[bytes] | np.ndarray:
    """A 2-D uint8 array is kept as it is; any other sequence must hold bytes-like items."""
    if isinstance(seq, np.ndarray):
        if seq.dtype != np.uint8 or seq.ndim != 2:
            raise InvalidType(f"{name} as an array must be 2-D uint8, got {seq.ndim}-D {seq.dtype}")
        return np.ascontiguousarray(seq)
    if isinstance(seq, (str, *_BYTES)):
        raise InvalidType(f"{name} must be a sequence of bytes, not a single {type(seq).__name__}")
    try:
        items = list(seq)
    except TypeError:
        raise InvalidType(f"{name} must be a sequence of bytes, not {type(seq).__name__}") from None
    if set(map(type, items)) <= {bytes}:  # the common case, checked without a Python loop per item
        return items
    for i, it in enumerate(items):
        if not isinstance(it, _BYTES):
            raise InvalidType(f"{name}[{i}] must be bytes-like, not {type(it).__name__}")
    return [bytes(it) for it in items]


def same_length(**named) -> int:
    lens = {k: len(v) for k, v in named.items()}
    if len(set(lens.values())) > 1:
        detail = ", ".join(f"{k}={n}" for k, n in lens.items())
        raise InvalidArgument(f"sequences must have the same length ({detail})")
    return next(iter(lens.values()), 0)


def flatten(items: list[bytes] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(buffer, offsets): item i is buffer[offsets[i]:offsets[i+1]]; offsets are int64, N+1 long."""
    if isinstance(items, np.ndarray):
        n, width = items.shape
        return items.reshape(-1), np.arange(n + 1, dtype=np.int64) * width
    lens = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    buf = np.frombuffer(b"".join(items), dtype=np.uint8)
    return buf, offsets


def fixed_width(items: list[bytes] | np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(array (N, width) uint8 zero-padded, lengths (N,) int64). Longer items are marked by their length
    and left as zeros, so kernels never see them."""
    if isinstance(items, np.ndarray):
        n, w = items.shape
        if w == width:
            return items, np.full(n, width, dtype=np.int64)
        out = np.zeros((n, width), dtype=np.uint8)
        if w < width:
            out[:, :w] = items
        return out, np.full(n, w, dtype=np.int64)
    n = len(items)
    lens = np.fromiter(map(len, items), dtype=np.int64, count=n)
    if n and 0 < lens[0] <= width and lens.min() == lens.max():   # one length (digests, signatures): one join
        joined = np.frombuffer(bytearray(b"".join(items)), dtype=np.uint8).reshape(n, int(lens[0]))
        if lens[0] == width:
            return joined, lens
        out = np.zeros((n, width), dtype=np.uint8)
        out[:, :lens[0]] = joined
        return out, lens
    out = np.zeros((n, width), dtype=np.uint8)
    # One join per distinct length rather than one copy per item (keys mix 33 and 65 bytes, say).
    for length in np.unique(lens).tolist():
        if not 0 < length <= width:
            continue
        idx = np.flatnonzero(lens == length)
        group = [items[i] for i in idx.tolist()]
        out[idx, :length] = np.frombuffer(b"".join(group), dtype=np.uint8).reshape(len(idx), length)
    return out, lens
