"""One package error; misuse raises these, bad data never does (it is reported as data).

The classes live in ``ledgerval.native.errors`` (the bottom layer, so the native wrappers raise the same
ones without importing the engine); this module re-exports them and adds the engine's own.
"""
from ledgerval.native.errors import InvalidArgument, InvalidType, LedgervalError, NativeMisuse


class ChainFileError(LedgervalError, ValueError):
    """A chain file cannot be read (truncated record framing, not a file)."""


__all__ = ["LedgervalError", "InvalidArgument", "InvalidType", "NativeMisuse", "ChainFileError"]
