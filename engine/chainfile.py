"""Chain files (``.lvc``): a sequence of records ``u32 length | block``."""
from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .errors import ChainFileError

# A length prefix read from a damaged or foreign file can announce up to 4 GiB; reading in pieces of at most
# this size means such a file costs one piece of memory before it is found short, never the announced size.
_PIECE = 16 << 20


def write_chain(f: BinaryIO, blocks: Iterable[bytes]) -> int:
    n = 0
    for b in blocks:
        f.write(struct.pack("<I", len(b)))
        f.write(b)
        n += 1
    return n


def _read_exact(f: BinaryIO, n: int) -> bytes:
    if n <= _PIECE:
        return f.read(n)
    parts, got = [], 0
    while got < n:
        part = f.read(min(_PIECE, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_chain(f: BinaryIO, magic: bytes | None = None) -> Iterator[bytes]:
    """Yield each block; raises ChainFileError on a truncated record.  A block itself is not checked here,
    except that with ``magic`` the first record must start with it (so that a file of another format is
    told apart from a chain whose blocks are bad)."""
    index = 0
    while True:
        head = f.read(4)
        if not head:
            return
        if len(head) < 4:
            raise ChainFileError(f"record {index}: truncated length prefix ({len(head)} of 4 bytes)")
        (length,) = struct.unpack("<I", head)
        block = _read_exact(f, length)
        if len(block) != length:
            raise ChainFileError(f"record {index}: truncated: {length} bytes announced, {len(block)} present")
        if index == 0 and magic is not None and not block.startswith(magic):
            raise ChainFileError(f"record 0 does not start with {magic.decode('ascii', 'replace')}: "
                                 f"not a chain file of this format")
        yield block
        index += 1
