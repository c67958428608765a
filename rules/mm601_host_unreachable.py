"""A host memmap-lint was asked to collect over SSH and could not.

What it finds:
    A host of ``memmap-lint collect`` or ``--collect missing|always`` whose collection failed,
    with the cause: the connection was refused or timed out, the port does not speak SSH,
    authentication failed, the host key is unknown or has changed (both fingerprints are in the
    message), the remote side refused to run the command or to read the files (permission),
    its output was larger than the cap, or it was not what the collector's script prints.
    Reported at the host's line in the inventory. The rule reads the host fact
    ``collect_failure`` (cause, message, address, attempts) that collection sets.

Why it matters:
    Without the host's firmware map, every rule that places a region (MM3xx) cannot run for it,
    and the command line the host boots next is unknown unless the inventory gives it: the host
    is not checked, not found clean. When earlier facts are cached they are used, and MM603 says
    how old they are; the message says what the host was linted with instead (its cached facts,
    the inventory's capture, or no map), or that ``verify`` could not verify it.

Example:
    ``inventory.yaml:14:5: MM601 host unknown host key: host key for [10.0.3.11]:22 is not
    known: the server offers ssh-ed25519 SHA256:...``

How to fix:
    Follow the cause: start or reach the host, fix the key or user (``ansible_user``,
    ``ansible_ssh_private_key_file``, ``~/.ssh/config``), verify an unknown host key and add it
    to known_hosts (or run once with ``--accept-new``), set ``memmap_lint_sudo: true`` where
    /sys/firmware/memmap is not readable. Or give the host an ``e820`` capture in the inventory.
"""

from __future__ import annotations

from collections.abc import Iterator

from memmap_lint.engine.collected import CAUSE_WORDS
from memmap_lint.rule import Hit, HostContext

CODE = "MM601"
NAME = "host-unreachable"
SEVERITY = "error"
NEEDS_E820 = False

# What the host was checked with instead (the fact's ``used``).
THEN = {
    "cache": "linted with its last cached facts",
    "inventory": "linted with the inventory's capture",
    "none": "linted without a firmware map: placement rules did not run",
    "unverified": "not verified",
}


def check(ctx: HostContext) -> Iterator[Hit]:
    failure = ctx.facts.get("collect_failure")
    if not isinstance(failure, dict):
        return
    cause = str(failure.get("cause", "error"))
    words = CAUSE_WORDS.get(cause, cause)
    message = str(failure.get("message", ""))
    attempts = failure.get("attempts", 1)
    tries = f" (after {attempts} attempts)" if isinstance(attempts, int) and attempts > 1 else ""
    then = THEN.get(str(failure.get("used")), THEN["none"])
    yield Hit(f"cannot collect this host over SSH, {words}{tries}: {message}; it was {then}")
