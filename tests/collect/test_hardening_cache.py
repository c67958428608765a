"""The collection cache is private and never written through a symbolic link: its directory is
0700, a symlink at its path is refused, symlinks at its marker or entry files are replaced,
never followed, and entry files are 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from memmap_lint.collect.facts import CollectFailure
from memmap_lint.collect.run import open_cache
from memmap_lint.errors import LintError


def test_cache_directory_private(tmp_path: Path) -> None:
    cache = open_cache(tmp_path / "c")
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    open_cache(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700
    cache.record("h", CollectFailure("h", "refused", "connection refused", "h:22", 1))
    assert stat.S_IMODE(cache.path_for("h").stat().st_mode) == 0o600


def test_symlinks_never_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    with pytest.raises(LintError) as err:
        open_cache(tmp_path / "link")
    assert err.value.code == "MM601"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    c = tmp_path / "c"
    c.mkdir()
    (c / "CACHEDIR.TAG").symlink_to(victim)
    (c / ".gitignore").symlink_to(victim)
    cache = open_cache(c)
    Path(cache.path_for("h")).symlink_to(victim)
    cache.record("h", CollectFailure("h", "refused", "connection refused", "h:22", 1))
    assert victim.read_text() == "keep"
    assert not cache.path_for("h").is_symlink()
