"""``engine.pipeline.run``: one finding per boot entry in the data, grouped only for display."""

from __future__ import annotations

from pathlib import Path

from memmap_lint.engine.pipeline import Options, run


def test_results_keep_each_entry_shown_groups_them(tmp_path: Path) -> None:
    grub = tmp_path / "etc" / "default" / "grub"
    grub.parent.mkdir(parents=True)
    grub.write_text('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="memmap=4G$12G"\n')
    done = run([str(grub)], Options(select=["MM501"], entry_points=False))
    assert not done.errors
    per_entry = [[f.code for f in r.findings] for r in done.results]
    assert len(per_entry) > 1 and all(codes == ["MM501"] for codes in per_entry)
    shown = [f for r in done.shown for f in r.findings]
    assert len(shown) == 1 and "same in entries:" in shown[0].message
    assert [r.host for r in done.shown] == [r.host for r in done.results]
