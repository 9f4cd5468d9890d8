"""Input coercion shared by the reference modules."""
from __future__ import annotations


def as_bytes(data) -> bytes | None:
    """``data`` as bytes when it is a bytes-like object (bytes, bytearray, memoryview, uint8 array), else None.

    Verification must turn any odd input into ``False``; ``bytes(5)`` would silently make five zero bytes,
    so integers and strings are refused here rather than converted.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, (int, str)):
        return None
    try:
        return memoryview(data).tobytes()
    except TypeError:
        return None
