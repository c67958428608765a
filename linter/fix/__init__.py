"""Fixes to boot files: text edits with an applicability (safe or unsafe), as ruff has them.

Shared by ``lint --diff``/``--fix`` and ``advise --diff``. A fix exists only where the right text
is certain, and it is applied only when reading the edited files again proves that every entry
gets exactly the command line the fix promises (:mod:`memmap_lint.fix.plan`).
"""

from memmap_lint.fix.model import SAFE, UNSAFE, Change, Edit, Fix, Target
from memmap_lint.fix.plan import Outcome, plan
from memmap_lint.fix.text import unified_diff

__all__ = ["SAFE", "UNSAFE", "Change", "Edit", "Fix", "Outcome", "Target", "plan", "unified_diff"]
