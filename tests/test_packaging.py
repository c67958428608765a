"""The wheel a user installs (``pip install .``) carries every module and data file of the package.

Found as a new user: ``memmap-lint --diff`` from a non-editable install failed with
``No module named 'memmap_lint.fix'``, a subpackage missing from pyproject's ``packages``; an
editable install and the tests (run from the checkout) never see that.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOLDERS = {"linter": "memmap_lint", "rules": "memmap_lint/rules"}


def shipped_sources() -> set[str]:
    """Each file of the package folders, named as it must appear in the wheel."""
    names = set()
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                names.add(f"{package}/{path.relative_to(REPO / folder).as_posix()}")
    return names


def test_wheel_carries_every_module_and_data_file(tmp_path: Path) -> None:
    # A copy without build/: setuptools would reuse build/lib, which a past build may have filled.
    source = tmp_path / "src"
    skip = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "tests")
    shutil.copytree(REPO, source, ignore=skip)
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("memmap_lint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = shipped_sources()
    assert "memmap_lint/fix/__init__.py" in expected
    assert sorted(expected - names) == []
