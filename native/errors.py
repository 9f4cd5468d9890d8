"""The package's exceptions, kept at the bottom layer so native/ and the engine raise the same ones.

``ledgerval.errors`` re-exports them; misuse raises these, bad data never does (it is reported as data).
"""


class LedgervalError(Exception):
    """Base class of every exception ledgerval raises on purpose."""


class InvalidArgument(LedgervalError, ValueError):
    """A value is out of range or unknown: an unknown suite, scheme or algorithm, mismatched lengths."""


class InvalidType(LedgervalError, TypeError):
    """An argument has the wrong type."""


class NativeMisuse(InvalidArgument):
    """A C kernel returned a misuse code (bad offsets, a path this CPU lacks, a bad slot): the one exception
    every native family raises for it.  A wrapper bug or a bad argument, never bad data."""
