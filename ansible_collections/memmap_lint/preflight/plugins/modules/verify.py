#!/usr/bin/python
"""Documentation of memmap_lint.preflight.verify, which is an action plugin.

As with memmap_lint.preflight.check, the work is done on the controller by
``plugins/action/verify.py``; this file holds the documentation ``ansible-doc`` prints and what
the module loader resolves the task name against. It never runs on a target.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: verify
short_description: After the reboot, check that every reserved region and its consumers came up
version_added: "0.2.0"
description:
  - "The post-reboot counterpart of M(memmap_lint.preflight.check). From the facts gathered
    after the reboot by M(memmap_lint.preflight.facts) (with C(become=true), the files being
    root-only), simulates the command line the host actually booted (C(/proc/cmdline)) on its
    firmware map under its running kernel, and compares with what the kernel shows."
  - "Checked: every C(reserve_mem=) and C(memmap=) region of that command line is reserved, where
    it was predicted (exact for C(memmap=); a C(reserve_mem=) region's real address and its
    distance from the approximate one are reported); ramoops is registered at its region; each
    C(trace_instance=) exists and is mapped; pstore is mounted and its records archived."
  - Runs on the controller with memmap-lint installed; it never connects to the host and never
    changes anything. The findings are those of C(memmap-lint verify) (MM6xx, MM7xx).
options:
  features:
    description: Kernel features of the running kernel, e.g. C(memmap-wildcard) (the RFC patch).
    type: list
    elements: str
    default: []
  dialect:
    description: Override the dialect the running release implies.
    type: str
    choices: [stock, rfc, mainline]
  select:
    description: Only these rules (codes, prefixes or slugs). Default C(MM6), C(MM7).
    type: list
    elements: str
    default: []
  ignore:
    description: Not these rules.
    type: list
    elements: str
    default: []
  fail_on:
    description: Fail the host when a finding of this severity or worse exists (C(never) reports
      only). What could not be verified is a warning (MM706), never a pass.
    type: str
    default: warning
    choices: [error, warning, info, never]
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
notes:
  - Needs C(ansible_facts.memmap_lint) gathered after the reboot.
author:
  - memmap-lint authors
"""

EXAMPLES = r"""
- name: Reboot into the new command line
  ansible.builtin.reboot:

- name: Gather memmap-lint facts of the boot that runs now
  memmap_lint.preflight.facts:
  become: true

- name: Every region and consumer came up
  memmap_lint.preflight.verify:
  register: verified
"""

RETURN = r"""
findings:
  description: Each finding as in memmap-lint's JSON report (code, name, severity, message,
    param, location).
  returned: always
  type: list
  elements: dict
verify:
  description: The comparison (regions with predicted and real addresses, ramoops, trace
    instances, pstore), as C(memmap-lint verify --format json) keeps it.
  returned: always
  type: dict
msg:
  description: The verdict; on failure each finding at or above O(fail_on) on its own line.
  returned: always
  type: str
"""
