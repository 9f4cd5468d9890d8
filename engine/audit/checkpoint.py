"""Checkpoints: one small JSON file per finished partition, so a re-run after an interruption redoes only the
partitions that had not finished.

A partition's file is named by a digest of everything its result depends on: the format, the file (real
path, size, modification time), the byte range and first block number, and the validator's arguments.  A
changed file, another suite or other validator keys therefore never reuse a result; they simply miss.  Files
are written to a temporary name and renamed, so an interrupted write leaves no half file behind; a file that
does not parse is ignored and redone.
"""
from __future__ import annotations

import hashlib
import json
import os

from .partition import Partition, PartitionResult

_VERSION = 1


class Checkpoint:
    def __init__(self, directory: str | os.PathLike, fmt_name: str, spec_fingerprint: dict):
        self.dir = os.fspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self._fmt = fmt_name
        self._spec = spec_fingerprint
        self._stat: dict[str, tuple[str, int, int]] = {}

    def _file_id(self, path: str) -> tuple[str, int, int]:
        if path not in self._stat:
            st = os.stat(path)
            self._stat[path] = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
        return self._stat[path]

    def _name(self, part: Partition) -> str:
        key = {"v": _VERSION, "format": self._fmt, "file": self._file_id(part.path), "start": part.start,
               "end": part.end, "first_block": part.first_block, "blocks": part.blocks, "seq": part.seq,
               "validator": self._spec}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        return os.path.join(self.dir, f"part-{digest}.json")

    def load(self, part: Partition) -> PartitionResult | None:
        try:
            with open(self._name(part)) as f:
                return PartitionResult.from_json(json.load(f))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None  # a damaged checkpoint is redone, never trusted

    def save(self, part: Partition, result: PartitionResult) -> None:
        name = self._name(part)
        tmp = f"{name}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(result.to_json(), f)
        os.replace(tmp, name)
