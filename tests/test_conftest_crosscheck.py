"""The conftest hook that makes a skipped cross-check fail in CI when its peer library is installed.  Runs
pytest in a subprocess on a scratch folder holding a copy of tests/conftest.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytest.importorskip("coincurve", reason="the gate is tested with coincurve as the installed peer")

SCRATCH_TESTS = '''
import pytest

def test_peer_submodule_missing():
    pytest.importorskip("coincurve.no_such_module")

def test_peer_absent_is_not_a_cross_check_failure():
    pytest.importorskip("no_such_peer_library")

def test_reason_names_the_peer():
    pytest.skip("pynacl here is too old for this check")

def test_plain_skip():
    pytest.skip("not a cross-check")

@pytest.mark.crosscheck("coincurve")
def test_marked_cross_check_skips():
    pytest.skip("this OpenSSL lacks something")

@pytest.mark.crosscheck("no_such_peer_library")
def test_marked_cross_check_peer_missing():
    pytest.skip("peer missing")

@pytest.mark.skip(reason="xfail-like, unmarked")
def test_skip_marker():
    pass

def test_passes():
    pass
'''
SCRATCH_MODULE_SKIP = '''
import pytest
pytest.importorskip("cryptography.no_such_module")

def test_never_runs():
    pass
'''


def _outcomes(folder: Path, ci: str | None) -> dict[str, str]:
    """{test or module name: passed / failed / skipped / error} of a pytest run on the scratch folder."""
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), folder / "conftest.py")
    (folder / "test_scratch.py").write_text(SCRATCH_TESTS)
    (folder / "test_module_skip.py").write_text(SCRATCH_MODULE_SKIP)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    xml = folder / "out.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--continue-on-collection-errors",
                    f"--junitxml={xml}", str(folder)], cwd=folder, env=env, check=False, capture_output=True)
    out = {}
    for case in ElementTree.parse(xml).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        out[case.get("name") or case.get("classname")] = {"failure": "failed"}.get(kinds[0], kinds[0]) \
            if kinds else "passed"
    return out


def test_cross_check_skips_fail_only_in_ci_and_only_with_the_peer(tmp_path):
    ci = _outcomes(tmp_path / "ci", "true")
    local = _outcomes(tmp_path / "local", None)
    assert ci == {"test_peer_submodule_missing": "failed", "test_peer_absent_is_not_a_cross_check_failure": "skipped",
                  "test_plain_skip": "skipped", "test_marked_cross_check_skips": "failed",
                  "test_reason_names_the_peer": "failed",
                  "test_marked_cross_check_peer_missing": "skipped", "test_skip_marker": "skipped",
                  "test_passes": "passed", "test_module_skip": "error"}
    assert local == {**ci, "test_peer_submodule_missing": "skipped", "test_marked_cross_check_skips": "skipped",
                     "test_module_skip": "skipped", "test_reason_names_the_peer": "skipped"}
