"""Running the real ansible-playbook / ansible-doc of the test venv on the repository's collection.

The collection is found through ``ANSIBLE_COLLECTIONS_PATH`` set to the repository root (which
holds ``ansible_collections/``): an editable install cannot put it on Ansible's scan path.
``test_ansible_install.py`` checks the installed-wheel path separately.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLE = REPO / "examples" / "ansible" / "preflight.yml"
FIXTURES = Path(__file__).parent / "fixtures" / "ansible"


def ansible_missing() -> str | None:
    """Why the ansible tests cannot run here, or None."""
    if not (BIN / "ansible-playbook").exists() and shutil.which("ansible-playbook") is None:
        return "ansible-core is not installed (run .ci/install-ansible.sh)"
    return None


def tool(name: str) -> str:
    local = BIN / name
    return str(local) if local.exists() else name


def env(home: Path, collections: Path | None = REPO) -> dict[str, str]:
    """A clean Ansible environment: its own home and temp dirs, no colour, no user config."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    out.update(
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP="/tmp/.ansible-memmap-lint-tests",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_CONFIG=str(home / "none.cfg"),
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if collections is not None:
        out["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return out


def run(
    args: list[str], home: Path, cwd: Path | None = None, collections: Path | None = REPO
) -> subprocess.CompletedProcess[str]:
    """Run an Ansible command line; output captured as text."""
    return subprocess.run(
        [tool(args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=env(home, collections),
        cwd=cwd,
        timeout=180,
    )
