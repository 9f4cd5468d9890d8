"""The contract every ``ledgerval`` subcommand keeps, in one place so that each new adapter's CLI keeps it too.

Exit status:

* **0** every block was checked and is valid;
* **1** some block was framed and judged invalid, or (under ``--strict``) some check was skipped;
* **2** the input is unusable (missing, a directory, empty, unreadable, not framed as the format, truncated
  framing), an output path cannot be written, or an argument is out of range.

An exit 2 prints exactly one line on stderr, ``ledgerval CMD: PATH: reason`` (``ledgerval CMD: reason`` when
no file is to blame), and never a traceback.  A subcommand raises :class:`Unusable` (or lets a package
``LedgervalError`` escape, for misuse) from a function wrapped in :func:`guarded`.

Checks a command could not make (commit signatures without validator keys, inputs without prevouts) are
:class:`Skip` records: the summary states each with its count (:func:`print_verdict`) and ``--strict`` turns
them into exit 1.  Long error lists are cut by :func:`print_limited`, which says how many were left out.
Start-up (process start, imports, kernel loading, warm-up) is timed by :class:`Clock` apart from validation,
so that tx/s is measured over validation only.

An adapter's subcommand, in outline::

    @guarded("fabric-validate")
    def run(args):
        clock = Clock()
        data = read_input(args.blockfile)           # missing / directory / empty: exit 2 naming the path
        ...                                         # framing broken: raise Unusable(args.blockfile, "why")
        clock.lap("kernel warm-up")
        with clock.work() as watch:
            report = validate(...)
        skips = [Skip("endorsements", n, "transactions", "no --msp-dir")]
        print_limited(error_lines, args.max_errors)
        print(clock.startup_line())
        print_verdict("all blocks valid", invalid, skips, args.strict)
        return exit_code(invalid, skips, args.strict)
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import LedgervalError

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2
DEFAULT_MAX_ERRORS = 20


class Unusable(Exception):
    """The command cannot run on this input or output: exit 2 with one line naming ``path`` (may be None)."""

    def __init__(self, path: str | None, reason: str):
        super().__init__(reason)
        self.path = path
        self.reason = reason

    def line(self, cmd: str) -> str:
        where = f"{self.path}: " if self.path is not None else ""
        return f"ledgerval {cmd}: {where}{_one_line(self.reason)}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(cmd: str, path: str | None, reason: str) -> int:
    """Print the contract's one line for an unusable input and return exit 2."""
    print(Unusable(path, reason).line(cmd), file=sys.stderr)
    return EXIT_UNUSABLE


def guarded(cmd: str) -> Callable:
    """Wrap a subcommand's ``run(args)``: ``Unusable`` and package errors become one line and exit 2."""

    def wrap(run: Callable) -> Callable:
        @functools.wraps(run)
        def guarded_run(args) -> int:
            try:
                return int(run(args) or 0)
            except Unusable as exc:
                print(exc.line(cmd), file=sys.stderr)
            except LedgervalError as exc:
                print(Unusable(None, str(exc)).line(cmd), file=sys.stderr)
            return EXIT_UNUSABLE

        return guarded_run

    return wrap


# -- inputs and outputs ---------------------------------------------------------------------------------------

def os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower() if isinstance(exc, OSError) else str(exc)


def check_input(path: str, *, allow_empty: bool = False) -> int:
    """The size of the regular file ``path``; ``Unusable`` when it is missing, a directory, unreadable or
    (unless ``allow_empty``) empty."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise Unusable(path, "no such file") from None
    except OSError as exc:
        raise Unusable(path, os_reason(exc)) from None
    if os.path.isdir(path):
        raise Unusable(path, "is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise Unusable(path, "permission denied")
    if st.st_size == 0 and not allow_empty and os.path.isfile(path):
        raise Unusable(path, "empty file")
    return st.st_size


def open_input(path: str, *, allow_empty: bool = False):
    """``check_input``, then the file opened for binary reading."""
    check_input(path, allow_empty=allow_empty)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise Unusable(path, os_reason(exc)) from None


def read_input(path: str, *, allow_empty: bool = False) -> bytes:
    with open_input(path, allow_empty=allow_empty) as f:
        try:
            data = f.read()
        except OSError as exc:
            raise Unusable(path, os_reason(exc)) from None
    if not data and not allow_empty:
        raise Unusable(path, "empty file")
    return data


def read_json(path: str, what: str):
    """The JSON document in ``path``; ``Unusable`` naming ``what`` the file should have been."""
    data = read_input(path)
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unusable(path, f"not a {what}: not UTF-8 text") from None
    except ValueError as exc:
        raise Unusable(path, f"not a {what}: {exc}") from None


def check_output(path: str) -> None:
    """Fail before any work is done when ``path`` cannot be written: its folder is missing or read-only, or
    the path is a directory."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise Unusable(path, "is a directory, not a file")
    if not os.path.isdir(folder):
        raise Unusable(path, f"cannot write: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise Unusable(path, "cannot write: permission denied")


def open_output(path: str, mode: str = "wb"):
    check_output(path)
    try:
        return open(path, mode)
    except OSError as exc:
        raise Unusable(path, f"cannot write: {os_reason(exc)}") from None


# -- skipped checks, verdict and error lists ------------------------------------------------------------------

@dataclass(frozen=True)
class Skip:
    """A check the command could not make: ``check`` (a stable name such as ``commit_signatures``) of
    ``count`` ``unit`` (blocks, inputs), because ``reason``."""

    check: str
    count: int
    unit: str
    reason: str

    def line(self) -> str:
        return f"not checked: {self.check.replace('_', ' ')} of {self.count} {self.unit} ({self.reason})"

    def to_dict(self) -> dict:
        return {"check": self.check, "count": self.count, "unit": self.unit, "reason": self.reason}


def add_report_arguments(p, *, json_help: str = "print a JSON report instead of the summary") -> None:
    """``--json``, ``--strict`` and ``--max-errors``, the same on every validating subcommand."""
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when any check was skipped (commit signatures without validator keys, "
                        "inputs without prevouts), not only when a block is invalid")
    p.add_argument("--max-errors", type=int, default=DEFAULT_MAX_ERRORS, metavar="N",
                   help=f"errors listed in the summary (default {DEFAULT_MAX_ERRORS}; 0 lists all; "
                        "--json always lists all)")


def exit_code(invalid: bool, skips: Iterable[Skip], strict: bool) -> int:
    if invalid:
        return EXIT_INVALID
    if strict and any(s.count for s in skips):
        return EXIT_INVALID
    return EXIT_VALID


def print_verdict(valid_text: str, invalid: bool, skips: Iterable[Skip], strict: bool, out=None) -> None:
    """The summary's last lines: each skipped check with its count, then the verdict, which never says
    'valid' without saying what was left unchecked."""
    out = out or sys.stdout
    skips = [s for s in skips if s.count]
    for s in skips:
        print(f"  {s.line()}", file=out)
    if invalid:
        return
    if not skips:
        print(valid_text, file=out)
    elif strict:
        print(f"{valid_text} as far as checked; --strict: skipped checks fail", file=out)
    else:
        print(f"{valid_text} as far as checked (some checks skipped; --strict makes that exit 1)", file=out)


def print_limited(lines: Iterable[str], limit: int, out=None) -> int:
    """Print ``lines`` (each already indented), the first ``limit`` of them when ``limit`` > 0, then
    '… and M more (--json lists all)'.  Returns how many were left out."""
    out = out or sys.stdout
    left = 0
    for i, line in enumerate(lines):
        if limit > 0 and i >= limit:
            left += 1
            continue
        print(line, file=out)
    if left:
        print(f"  … and {left} more (--json lists all)", file=out)
    return left


# -- start-up apart from throughput ---------------------------------------------------------------------------

def process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``, 10 ms resolution), or None where unknown."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in clock ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return max(uptime - started, 0.0)


def _command_process() -> bool:
    """Whether this process was started as the ``ledgerval`` command (console script or ``python -m``), so
    that its age is the command's start-up (not, say, a test runner's)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name.split(".")[0] == "ledgerval":
        return True
    return os.path.basename(sys.argv[0] or "") == "ledgerval"


_process_start_counted = False


class Clock:
    """Start-up phases timed apart from the work.  Create it first thing in ``run``; ``lap(name)`` closes a
    start-up phase (``set-up``, ``kernel warm-up``), ``work()`` times the validation itself.  The first
    Clock of a ``ledgerval`` process also counts the time before ``run``: interpreter start and imports."""

    def __init__(self):
        global _process_start_counted
        self.phases: dict[str, float] = {}
        age = process_age() if not _process_start_counted and _command_process() else None
        if age is not None:
            self.phases["process start and imports"] = age
            _process_start_counted = True
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - self._t
        self._t = now

    def work(self) -> _Stopwatch:
        return _Stopwatch(self)

    @property
    def startup(self) -> float:
        return sum(self.phases.values())

    def to_dict(self) -> dict:
        return {"startup_seconds": round(self.startup, 6),
                "startup_phases": {k: round(v, 6) for k, v in self.phases.items()}}

    def startup_line(self) -> str:
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in self.phases.items())
        return f"start-up {self.startup:.2f} s, not counted in the rate: {parts}"


class _Stopwatch:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.seconds = 0.0

    def __enter__(self):
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        now = time.perf_counter()
        self.seconds += now - self._t
        self.clock._t = now
        return False


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None
