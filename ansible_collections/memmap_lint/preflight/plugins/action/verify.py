"""Action memmap_lint.preflight.verify: after the reboot, did every region and consumer come up?

Runs on the controller only: the host's facts, gathered after the reboot by
``memmap_lint.preflight.facts``, go through ``memmap_lint.engine.verify.verify_host``, the same
comparison and rules as ``memmap-lint verify``. The documentation is in
``plugins/modules/verify.py``; ``ARGUMENT_SPEC`` here must match it (a test compares them).
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase  # type: ignore[import-untyped]

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "features": {"type": "list", "elements": "str", "default": []},
    "dialect": {"type": "str", "choices": ["stock", "rfc", "mainline"]},
    "select": {"type": "list", "elements": "str", "default": []},
    "ignore": {"type": "list", "elements": "str", "default": []},
    "fail_on": {
        "type": "str",
        "default": "warning",
        "choices": ["error", "warning", "info", "never"],
    },
}
FACTS_KEY = "memmap_lint"


class ActionModule(ActionBase):  # type: ignore[misc]
    """See ``plugins/modules/verify.py`` for what it does and returns."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result: dict[str, Any] = super().run(tmp, task_vars)
        result["changed"] = False
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            from memmap_lint.collect.facts import HostFacts
            from memmap_lint.engine.preflight import (
                failing,
                failure_message,
                finding_line,
                rules_for,
            )
            from memmap_lint.engine.registry import split_codes
            from memmap_lint.engine.verify import VERIFY_SELECT, verify_host
            from memmap_lint.errors import LintError
        except ImportError as exc:
            result.update(failed=True, msg=f"memmap-lint is not installed on the controller: {exc}")
            return result
        host = str(task_vars.get("inventory_hostname", ""))
        gathered = (task_vars.get("ansible_facts") or {}).get(FACTS_KEY)
        if gathered is None:
            result.update(
                failed=True,
                msg=f"host {host}: no memmap_lint facts: run memmap_lint.preflight.facts "
                "(become: true) after the reboot, before verify",
            )
            return result
        try:
            facts = HostFacts.from_dict(gathered)
            rules = rules_for(
                split_codes(args["select"]) or VERIFY_SELECT,
                split_codes(args["ignore"]),
                None,
            )
            res, verdict = verify_host(host, facts, rules, args["features"], args["dialect"])
        except LintError as exc:
            result.update(failed=True, msg=f"memmap-lint: {exc}")
            return result
        bad = failing(res.findings, args["fail_on"])
        result["findings"] = [f.to_json() for f in res.findings]
        result["verify"] = verdict
        result["failed"] = bool(bad)
        if bad:
            result["msg"] = failure_message(res, args["fail_on"]).replace(
                "the command line must not be installed", "the boot did not do what was planned"
            )
        else:
            result["msg"] = "\n".join(
                [
                    f"memmap-lint verify: {len(res.findings)} finding(s) on {host}, none at or "
                    f"above '{args['fail_on']}'",
                    *(f"  {finding_line(f)}" for f in res.findings),
                ]
            )
        return result
