"""Shared test configuration.  Each concern below keeps to its own clearly named functions.

Test vectors: ``../shared/vectors`` beside the repository (its README says where each file comes from).
``vector_file(*parts)`` (also the ``vectors`` fixture) is the one place that finds them; a test whose file is
absent is skipped with the one reason ``VECTORS_SKIP``, so a run that skipped vectors says so in one line of
the summary.  In CI (``CI=true``) with ``../shared`` present, such a skip is a failure: the vectors are
expected there, and a run that silently skipped Wycheproof would pass for the wrong reason.
"""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_engine_conftest.py runs the vector hooks in a scratch project

# -- cross-checks run in CI (issue 17) ------------------------------------------------------------------------
# A cross-check compares ledgerval with an independent implementation (a peer library of the ``test`` extra).
# It skips where its peer is not installed; in CI (CI=true) a cross-check that skips although its peer IS
# installed is a failure, since it would otherwise pass unnoticed.  A cross-check is a test whose skip reason
# names a peer (``pytest.importorskip`` does) or one marked ``@pytest.mark.crosscheck("peer")``.

CROSSCHECK_PEERS = {"coincurve": "coincurve", "nacl": "pynacl", "cryptography": "cryptography",
                    "tongsuopy": "tongsuopy", "Crypto": "pycryptodome"}  # import name: distribution
_CROSSCHECK_NAMES = "|".join(sorted(set(CROSSCHECK_PEERS) | set(CROSSCHECK_PEERS.values()), key=len, reverse=True))
_CROSSCHECK_NAMED = re.compile(rf"(?<![\w.])({_CROSSCHECK_NAMES})(?!\w)")


def crosscheck_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def crosscheck_peer_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def crosscheck_skipped_peer(report, item=None) -> str | None:
    """The peer module whose cross-check this skip report is, or None when it is no cross-check's skip."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return None
    marker = item.get_closest_marker("crosscheck") if item is not None else None
    if marker is not None and marker.args:
        return str(marker.args[0])
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    m = _CROSSCHECK_NAMED.search(reason)  # an importorskip's "could not import 'nacl.signing'", or prose
    if m is None:
        return None
    return next((mod for mod, dist in CROSSCHECK_PEERS.items() if m.group(1) in (mod, dist)), None)


def crosscheck_gate(report, item=None) -> None:
    """In CI, turn the skip of a cross-check whose peer is installed into a failure saying why."""
    peer = crosscheck_skipped_peer(report, item)
    if peer is None or not crosscheck_in_ci() or not crosscheck_peer_installed(peer):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    report.outcome = "failed"
    report.longrepr = (f"cross-check skipped in CI although its peer {peer!r} is installed "
                       f"(CI=true makes this a failure): {reason}")


@pytest.hookimpl(specname="pytest_configure")
def pytest_crosscheck_configure(config):
    config.addinivalue_line("markers", "crosscheck(peer): a test comparing ledgerval with the peer library "
                                       "(import name); in CI its skip fails when the peer is installed")


@pytest.hookimpl(hookwrapper=True, specname="pytest_runtest_makereport")
def pytest_crosscheck_runtest_makereport(item, call):
    outcome = yield
    crosscheck_gate(outcome.get_result(), item)


@pytest.hookimpl(hookwrapper=True, specname="pytest_make_collect_report")
def pytest_crosscheck_make_collect_report(collector):
    outcome = yield
    crosscheck_gate(outcome.get_result())  # a module-level importorskip of a peer


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_crosscheck_terminal_summary(terminalreporter):
    missing = sorted(dist for mod, dist in CROSSCHECK_PEERS.items() if not crosscheck_peer_installed(mod))
    if missing:
        terminalreporter.write_line(f"cross-checks skipped: peer libraries not installed: {', '.join(missing)} "
                                    f"(pip install -e '.[test]' installs them)", yellow=True)


# -- test vectors (issue 12) ----------------------------------------------------------------------------------

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
VECTORS_DIR = SHARED_DIR / "vectors"
VECTORS_SKIP = "test vectors absent: ../shared/vectors (see its README for the sources)"


def vector_file(*parts: str) -> Path:
    """The path of ``../shared/vectors/<parts>``; skips the calling test (with ``VECTORS_SKIP``) when it is
    absent."""
    path = VECTORS_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(VECTORS_SKIP)
    return path


@pytest.fixture
def vectors():
    """``vector_file`` as a fixture: ``vectors("bitcoin", "block277647.raw")``."""
    return vector_file


def vectors_required() -> bool:
    """In CI with ../shared present every vector test must run."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes") and SHARED_DIR.is_dir()


def vectors_gate(report) -> None:
    """Turn a skip for missing vectors into a failure where ``vectors_required``."""
    longrepr = report.longrepr
    if not (report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3
            and str(longrepr[2]).endswith(VECTORS_SKIP)) or not vectors_required():
        return
    report.outcome = "failed"
    report.longrepr = (f"{VECTORS_SKIP}, but CI=true and {SHARED_DIR} exists: a vector file this test needs "
                       "is missing")


@pytest.hookimpl(hookwrapper=True, specname="pytest_runtest_makereport")
def pytest_vectors_runtest_makereport(item, call):
    outcome = yield
    vectors_gate(outcome.get_result())


@pytest.hookimpl(hookwrapper=True, specname="pytest_make_collect_report")
def pytest_vectors_make_collect_report(collector):
    outcome = yield
    vectors_gate(outcome.get_result())  # a module-level skip for missing vectors
