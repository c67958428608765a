"""``memmap_lint.testing``, the public helper that runs one case through the real pipeline."""

from __future__ import annotations

from memmap_lint.testing import lint_case, where

GRUB = 'GRUB_CMDLINE_LINUX="quiet memmap=4G$12G"\n'


def test_the_documented_example() -> None:
    found = lint_case({"cmdline": "memmap=4GG"}, select=["MM109"])
    assert [(f.code, where(f)) for f in found] == [("MM109", "@7")]


def test_precedence_and_inline_disables_apply_as_in_a_run() -> None:
    boot = {"text": GRUB, "kind": "grub-default"}
    found = lint_case({"boot": boot}, select=["MM1", "MM5"])
    assert [(f.code, where(f)) for f in found] == [("MM501", "<inline>:1:27")]  # MM109 superseded
    boot = {"text": "# memmap-lint: disable=MM501\n" + GRUB, "kind": "grub-default"}
    assert lint_case({"boot": boot}, select=["MM1", "MM5"]) == []
    boot = {"text": GRUB, "kind": "grub-default"}
    assert lint_case({"boot": boot}, select=["MM109"]) == []  # MM501 runs, unreported
    assert [f.code for f in lint_case({"cmdline": "quiet memmap=4GG"}, select=["MM1"])] == [
        "MM109"
    ]

