"""Shared test configuration.

Test vectors: ``../shared/vectors`` beside the repository (its README says where each file comes from).
``vector_file(*parts)`` (also the ``vectors`` fixture) is the one place that finds them; a test whose file is
absent is skipped with the one reason ``VECTORS_SKIP``, so a run that skipped vectors says so in one line of
the summary.  In CI (``CI=true``) with ``../shared`` present, such a skip is a failure: the vectors are
expected there, and a run that silently skipped Wycheproof would pass for the wrong reason.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_engine_conftest.py runs this file's hooks in a scratch project

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
VECTORS_DIR = SHARED_DIR / "vectors"
VECTORS_SKIP = "test vectors absent: ../shared/vectors (see its README for the sources)"


# --- test vectors ----------------------------------------------------------------------------------------

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


def _vector_skips_fail_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true" and SHARED_DIR.is_dir()


def _is_vector_skip(report) -> bool:
    return report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(VECTORS_SKIP)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI with ../shared present, a test skipped for missing vectors fails instead."""
    outcome = yield
    report = outcome.get_result()
    if _vector_skips_fail_in_ci() and _is_vector_skip(report):
        report.outcome = "failed"
        report.longrepr = (f"{VECTORS_SKIP}, but CI=true and {SHARED_DIR} exists: a vector file this test "
                           "needs is missing")
