"""One package error; misuse raises these, bad data never does (it is reported as data)."""


class LedgervalError(Exception):
    """Base class of every exception ledgerval raises on purpose."""


class InvalidArgument(LedgervalError, ValueError):
    """A value is out of range or unknown: an unknown suite, scheme or algorithm, mismatched lengths."""


class InvalidType(LedgervalError, TypeError):
    """An argument has the wrong type."""


class ChainFileError(LedgervalError, ValueError):
    """A chain file cannot be read (truncated record framing, not a file)."""
