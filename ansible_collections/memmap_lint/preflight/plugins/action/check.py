"""Action memmap_lint.preflight.check: judge the command line a play is about to install.

Runs on the controller only (it never connects to the host): the arguments and the host's
gathered facts go through ``memmap_lint.engine.preflight``, the same rules as ``memmap-lint lint``.
The documentation is in ``plugins/modules/check.py``; ``ARGUMENT_SPEC`` here must match it (a
test compares them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ansible.plugins.action import ActionBase  # type: ignore[import-untyped]

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "cmdline": {"type": "str"},
    "grub_default": {"type": "str"},
    "bls_options": {"type": "str"},
    "path": {"type": "str"},
    "kernel": {"type": "str"},
    "features": {"type": "list", "elements": "str", "default": []},
    "e820": {"type": "raw"},
    "select": {"type": "list", "elements": "str", "default": []},
    "ignore": {"type": "list", "elements": "str", "default": []},
    "fail_on": {
        "type": "str",
        "default": "error",
        "choices": ["error", "warning", "info", "never"],
    },
    "fleet": {"type": "list", "elements": "str"},
    "fleet_results": {"type": "str", "default": "preflight"},
}
MUTUALLY_EXCLUSIVE = [
    ["cmdline", "grub_default", "bls_options"],
    ["fleet", "cmdline"],
    ["fleet", "grub_default"],
    ["fleet", "bls_options"],
    ["fleet", "e820"],
]
FACTS_KEY = "memmap_lint"
#: Stands for the host's gathered facts in a returned ``input`` (they stay in hostvars).
GATHERED = "ansible_facts.memmap_lint"


class ActionModule(ActionBase):  # type: ignore[misc]
    """See ``plugins/modules/check.py`` for what it does and returns."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result: dict[str, Any] = super().run(tmp, task_vars)
        result["changed"] = False
        _, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE
        )
        try:
            from memmap_lint.errors import LintError, LintErrors
        except ImportError as exc:
            result.update(failed=True, msg=f"memmap-lint is not installed on the controller: {exc}")
            return result
        try:
            if args["fleet"] is not None:
                result.update(self._fleet(args, task_vars))
            else:
                result.update(self._host(args, task_vars))
        except LintError as exc:
            result.update(failed=True, msg=f"memmap-lint: {exc}")
        except LintErrors as exc:
            result.update(failed=True, msg="memmap-lint: " + "; ".join(map(str, exc.errors)))
        return result

    def _rules(self, args: Mapping[str, Any], scope: str | None) -> Any:
        from memmap_lint.engine.preflight import rules_for
        from memmap_lint.engine.registry import split_codes

        return rules_for(split_codes(args["select"]), split_codes(args["ignore"]), scope)

    def _input(self, args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> Any:
        """The CheckInput of this host: arguments first, gathered facts for the rest."""
        from memmap_lint.captures.parse import load_capture, parse_capture
        from memmap_lint.collect.facts import HostFacts
        from memmap_lint.engine.preflight import BootText, CheckInput

        host = str(task_vars.get("inventory_hostname", ""))
        boot = None
        for key in ("grub_default", "bls_options"):
            if args[key] is not None:
                boot = BootText.from_arg(key, args[key], args["path"])
        gathered = (task_vars.get("ansible_facts") or {}).get(FACTS_KEY)
        facts = HostFacts.from_dict(gathered) if gathered is not None else None
        capture = None
        e820 = args["e820"]
        if isinstance(e820, Mapping):
            facts = HostFacts.from_dict(dict(e820))
        elif isinstance(e820, str) and "\n" in e820:
            capture = parse_capture(e820, f"{host}: e820 argument")
        elif isinstance(e820, str) and e820:
            capture = load_capture(self._loader.path_dwim(os.path.expanduser(e820)))
        elif e820 is not None:
            from memmap_lint.errors import LintError

            raise LintError("MM001", "e820 must be a capture path, capture text or facts")
        return CheckInput(
            host, args["cmdline"], boot, args["kernel"], tuple(args["features"]), capture, facts
        )

    def _host(self, args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        from memmap_lint.engine.config import Config
        from memmap_lint.engine.preflight import check_hosts, failing, failure_message, finding_line
        from memmap_lint.report.json_report import host_json

        inp = self._input(args, task_vars)
        now = datetime.now(timezone.utc)
        (res,) = check_hosts([inp], self._rules(args, None), Config(), now)
        bad = failing(res.findings, args["fail_on"])
        report = host_json(res)
        out: dict[str, Any] = {
            "findings": report.pop("findings"),
            "host": report,
            "input": self._input_record(inp, args, task_vars),
            "failed": bool(bad),
        }
        if bad:
            out["msg"] = failure_message(res, args["fail_on"])
        else:
            below = (
                "none" if args["fail_on"] == "never" else f"none at or above '{args['fail_on']}'"
            )
            out["msg"] = "\n".join(
                [
                    f"memmap-lint: {len(res.findings)} finding(s) on {res.host}, {below}",
                    *(f"  {finding_line(f)}" for f in res.findings),
                ]
            )
        return out

    def _input_record(
        self, inp: Any, args: Mapping[str, Any], task_vars: Mapping[str, Any]
    ) -> dict[str, Any]:
        record: dict[str, Any] = inp.to_dict()
        gathered = (task_vars.get("ansible_facts") or {}).get(FACTS_KEY)
        if gathered is not None and not isinstance(args["e820"], Mapping):
            record["facts"] = GATHERED
        return record

    def _fleet(self, args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        from memmap_lint.engine.config import Config
        from memmap_lint.engine.preflight import CheckInput, failing, failure_message, fleet_hosts
        from memmap_lint.errors import LintError

        hostvars = task_vars.get("hostvars") or {}
        key = args["fleet_results"]
        inputs = []
        for name in args["fleet"]:
            registered = (hostvars.get(name) or {}).get(key)
            if not isinstance(registered, Mapping) or "input" not in registered:
                raise LintError(
                    "MM001",
                    f"host {name} has no '{key}' with an input: register each host's "
                    f"memmap_lint.preflight.check as '{key}' before the fleet check",
                )
            record = dict(registered["input"])
            if record.get("facts") == GATHERED:
                record["facts"] = ((hostvars.get(name) or {}).get("ansible_facts") or {}).get(
                    FACTS_KEY
                )
            inputs.append(CheckInput.from_dict(record))
        now = datetime.now(timezone.utc)
        results = fleet_hosts(inputs, self._rules(args, "fleet"), Config(), now)
        hosts: dict[str, Any] = {}
        for res in results:
            bad = failing(res.findings, args["fail_on"])
            hosts[res.host] = {
                "findings": [f.to_json() for f in res.findings],
                "failed": bool(bad),
                "msg": failure_message(res, args["fail_on"]) if bad else "",
            }
        me = str(task_vars.get("inventory_hostname", ""))
        mine = hosts.get(me, {"findings": [], "failed": False, "msg": ""})
        run_once = bool(getattr(self._task, "run_once", False))
        return {
            "hosts": hosts,
            "findings": [f for h in hosts.values() for f in h["findings"]],
            "failed": False if run_once else mine["failed"],
            "msg": (
                f"memmap-lint fleet rules over {len(hosts)} host(s): "
                f"{sum(1 for h in hosts.values() if h['failed'])} with findings at or above "
                f"'{args['fail_on']}'"
                if run_once or not mine["failed"]
                else mine["msg"]
            ),
        }
