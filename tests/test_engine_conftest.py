"""tests/conftest.py's vector handling, run in a scratch project (pytester): a missing vector file skips
with the one reason, and fails instead under CI=true when ../shared is present."""
from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
_ROOT_EXPR = 'Path(__file__).resolve().parents[1].parent / "shared"'


def _project(pytester, shared: Path):
    src = CONFTEST.read_text()
    assert _ROOT_EXPR in src and 'pytest_plugins = ["pytester"]' in src
    pytester.makeconftest(src.replace(_ROOT_EXPR, f"Path({str(shared)!r})").replace(
        'pytest_plugins = ["pytester"]', ""))
    pytester.makepyfile(test_probe="""
        from conftest import vector_file

        def test_missing():
            vector_file("nope", "missing.json")

        def test_present():
            assert vector_file("here.json").read_text() == "{}"
    """)
    pytester.makepyfile(test_module_level="""
        import pytest
        from conftest import VECTORS_DIR, VECTORS_SKIP

        if not (VECTORS_DIR / "nope").exists():
            pytest.skip(VECTORS_SKIP, allow_module_level=True)

        def test_never():
            pass
    """)
    (shared / "vectors").mkdir(parents=True)
    (shared / "vectors" / "here.json").write_text("{}")


@pytest.mark.parametrize("ci", ["", "false"])
def test_missing_vector_skips_with_one_reason(pytester, monkeypatch, tmp_path, ci):
    monkeypatch.setenv("CI", ci)
    _project(pytester, tmp_path / "shared")
    res = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1, skipped=2)
    res.stdout.fnmatch_lines(["*test vectors absent: ../shared/vectors*"])


def test_missing_vector_fails_in_ci_when_shared_is_present(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    _project(pytester, tmp_path / "shared")
    res = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--continue-on-collection-errors")
    res.assert_outcomes(passed=1, failed=1, errors=1)  # the module-level skip fails its collection
    res.stdout.fnmatch_lines(["*CI=true*a vector file this test needs is missing*"])
