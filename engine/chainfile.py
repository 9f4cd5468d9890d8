"""Chain files (``.lvc``): a sequence of records ``u32 length | block``."""
from __future__ import annotations

import struct
from typing import BinaryIO, Iterable, Iterator

from .errors import ChainFileError


def write_chain(f: BinaryIO, blocks: Iterable[bytes]) -> int:
    n = 0
    for b in blocks:
        f.write(struct.pack("<I", len(b)))
        f.write(b)
        n += 1
    return n


def read_chain(f: BinaryIO) -> Iterator[bytes]:
    """Yield each block; raises ChainFileError on a truncated record (a block itself is not checked here)."""
    index = 0
    while True:
        head = f.read(4)
        if not head:
            return
        if len(head) < 4:
            raise ChainFileError(f"record {index}: truncated length prefix")
        (length,) = struct.unpack("<I", head)
        block = f.read(length)
        if len(block) != length:
            raise ChainFileError(f"record {index}: {length} bytes announced, {len(block)} present")
        yield block
        index += 1
