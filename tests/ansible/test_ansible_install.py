"""The collection as a user gets it: in the memmap-lint wheel, found by Ansible on sys.path.

Builds the wheel from this checkout (pip, as a user would), installs it with ``--target`` into a
temporary folder put on PYTHONPATH, and runs ansible-doc and the example playbook there with no
ANSIBLE_COLLECTIONS_PATH: Ansible scans sys.path for ``ansible_collections/``
(COLLECTIONS_SCAN_SYS_PATH, default true).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import ansible_harness as a
import pytest

pytestmark = [
    pytest.mark.ansible,
    pytest.mark.skipif(a.ansible_missing() is not None, reason=str(a.ansible_missing())),
]

COLLECTION = "ansible_collections/memmap_lint/preflight/"
SHIPPED = (
    "galaxy.yml",
    "README.md",
    "meta/runtime.yml",
    "plugins/action/check.py",
    "plugins/action/facts.py",
    "plugins/modules/check.py",
    "plugins/modules/facts.py",
)


def test_wheel_carries_the_collection_and_ansible_finds_it(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(a.REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("memmap_lint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {COLLECTION + f for f in SHIPPED} <= names
    assert "ansible_collections/__init__.py" not in names  # a namespace shared with others
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
        timeout=120,
    )
    env = a.env(tmp_path, collections=None)
    env["PYTHONPATH"] = str(site)
    doc = subprocess.run(
        [a.tool("ansible-doc"), "memmap_lint.preflight.check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # a wheel user's working directory, not the checkout (its ansible.cfg)
        timeout=120,
    )
    assert doc.returncode == 0, doc.stderr
    assert str(site / COLLECTION) in doc.stdout


def test_a_checkout_finds_the_collection_without_environment(tmp_path: Path) -> None:
    """The editable install's case: Ansible run from the checkout reads its ansible.cfg."""
    env = a.env(tmp_path, collections=None)
    del env["ANSIBLE_CONFIG"]  # the checkout's own ansible.cfg, as a user's run reads it
    doc = subprocess.run(
        [a.tool("ansible-doc"), "memmap_lint.preflight.check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=a.REPO,
        timeout=120,
    )
    assert doc.returncode == 0, doc.stderr
    assert str(a.REPO / COLLECTION) in doc.stdout
