"""Action memmap_lint.preflight.facts: run the facts module, complete and check its output.

On the controller, with memmap-lint installed: ``address`` (``ansible_host[:ansible_port]``) and
the next boot's kernel (``ssh_nextkernel.next_kernel``, as ``memmap-lint collect`` reads the boot
files) are filled in, and the document is validated against memmap-lint's facts schema.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase  # type: ignore[import-untyped]

MODULE = "memmap_lint.preflight.facts"


def address_of(task_vars: dict[str, Any]) -> str:
    """``host:port`` (or ``host``) the facts are read from, as the inventory says."""
    host = str(task_vars.get("ansible_host") or task_vars.get("inventory_hostname") or "")
    port = task_vars.get("ansible_port")
    return f"{host}:{port}" if port not in (None, "") else host


class ActionModule(ActionBase):  # type: ignore[misc]
    """Gathers ``ansible_facts.memmap_lint`` (see the module's documentation)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result: dict[str, Any] = super().run(tmp, task_vars)
        result["changed"] = False
        try:
            from memmap_lint.engine.preflight import complete_facts
            from memmap_lint.errors import LintError
        except ImportError as exc:
            result.update(failed=True, msg=f"memmap-lint is not installed on the controller: {exc}")
            return result
        out: dict[str, Any] = self._execute_module(
            module_name=MODULE, module_args=dict(self._task.args), task_vars=task_vars
        )
        if out.get("failed") or out.get("unreachable"):
            result.update(out)
            return result
        raw = (out.get("ansible_facts") or {}).get("memmap_lint")
        try:
            facts = complete_facts(raw, address_of(task_vars))
        except LintError as exc:
            result.update(failed=True, msg=f"the facts module returned bad facts: {exc}")
            return result
        result["ansible_facts"] = {"memmap_lint": facts.to_dict()}
        return result
