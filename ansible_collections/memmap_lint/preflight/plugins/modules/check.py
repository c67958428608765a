#!/usr/bin/python
"""Documentation of memmap_lint.preflight.check, which is an action plugin.

As with ansible.builtin.debug or assert, the work is done on the controller by
``plugins/action/check.py``; this file holds the documentation ``ansible-doc`` prints and what
the module loader resolves the task name against. It never runs on a target.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: check
short_description: Stop a play before it installs a kernel command line that will hurt the host
version_added: "0.1.0"
description:
  - Checks the kernel command line a play is about to install with memmap-lint's rules, on this
    host's own firmware memory map and next kernel, and fails the host when a finding reaches
    O(fail_on). Put it before the tasks that write C(/etc/default/grub) or a BLS entry.
  - Runs on the controller with memmap-lint installed (C(pip install memmap-lint)); it never
    connects to the host and never changes anything. The rules, messages and findings are those
    of C(memmap-lint lint).
  - "The command line is O(cmdline), or the default entry of O(grub_default) or O(bls_options)
    (the text the play will write, for example a rendered template: C(lookup('template', ...))),
    or, when none is given, the next boot's command line in the host's gathered facts."
  - "The firmware map is O(e820), else the map in the facts gathered by
    M(memmap_lint.preflight.facts). Without either, the placement rules (MM3xx) are skipped and
    MM602 says so."
  - "The kernel is O(kernel), else the kernel image of the BLS entry, else the next kernel in the
    gathered facts."
  - "Fleet rules (MM306 placement-unstable) compare hosts: give O(fleet) (the play's hosts) after
    every host has registered its own check, see the examples."
options:
  cmdline:
    description:
      - The kernel command line the play will install.
      - Mutually exclusive with O(grub_default) and O(bls_options).
    type: str
  grub_default:
    description:
      - The text of C(/etc/default/grub) (or a C(grub.d/*.cfg) drop-in) the play will write; it
        is read as GRUB's shell scripts read it, and the command line is that of the default
        entry C(update-grub) generates. Findings point at its lines (see O(path)).
    type: str
  bls_options:
    description:
      - The text of the BLS entry (C(/boot/loader/entries/*.conf)) the play will write, or just
        the value of its C(options) line (a text without any BLS key is taken as that value).
    type: str
  path:
    description:
      - Where the play writes O(grub_default) or O(bls_options); findings name this path.
      - Defaults to C(/etc/default/grub) or C(/boot/loader/entries/memmap-lint.conf).
    type: str
  kernel:
    description:
      - The kernel that boots next, as a release (C(6.1.0-28-amd64)) or a dialect (C(stock),
        C(rfc), C(mainline); applied to the release otherwise known).
      - Releases before 6.11 are C(stock), 6.11 and later C(mainline); the RFC wildcard patch is
        the feature C(memmap-wildcard) (O(features)).
    type: str
  features:
    description:
      - Kernel features, for example C(memmap-wildcard) (the kernel carries the RFC patch).
    type: list
    elements: str
    default: []
  e820:
    description:
      - The host's firmware e820 map, overriding the gathered facts. A path on the controller
        (relative paths are relative to the playbook) to a capture in any format memmap-lint
        reads (C(dmesg), C(/sys/firmware/memmap) directory or C(grep) of it, C(/proc/iomem),
        YAML/JSON list); or the capture's text; or a facts document (the C(memmap_lint) fact of
        a host, for example from a fact cache).
      - Default is the fact C(ansible_facts.memmap_lint) gathered by
        M(memmap_lint.preflight.facts).
    type: raw
  select:
    description:
      - Only these rules (codes, code prefixes or names; comma-separated values allowed), as
        C(memmap-lint --select).
    type: list
    elements: str
    default: []
  ignore:
    description:
      - Not these rules, as C(memmap-lint --ignore).
    type: list
    elements: str
    default: []
  fail_on:
    description:
      - Fail the host when a finding of this severity or worse exists (C(never) only reports).
      - "The default is C(error), stricter than a gate needs to be lenient: errors are what hurts
        a host (RAM lost, a region not placed, a crash log with no memory, a boot that stops);
        warnings and infos are still returned in RV(findings) and listed in RV(msg).
        C(memmap-lint lint) defaults to C(warning)."
    type: str
    default: error
    choices: [error, warning, info, never]
  fleet:
    description:
      - Run the fleet rules over these hosts instead of checking this host, reading each host's
        registered result of its own check (O(fleet_results)). Usually
        C("{{ ansible_play_hosts }}") with C(run_once=true).
      - With C(run_once) the task does not fail; RV(hosts) holds each host's verdict for a
        following C(ansible.builtin.fail) task. Without C(run_once) every host runs it and fails
        on its own fleet findings.
    type: list
    elements: str
  fleet_results:
    description:
      - The variable each host registered its M(memmap_lint.preflight.check) result in.
    type: str
    default: preflight
attributes:
  check_mode:
    support: full
    description: Changes nothing; runs and fails the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
seealso:
  - module: memmap_lint.preflight.facts
notes:
  - Needs memmap-lint on the controller (C(pip install memmap-lint)); the collection ships in it.
author:
  - memmap-lint authors
"""

EXAMPLES = r"""
- name: Gather the firmware map, boot files and next kernel
  memmap_lint.preflight.facts:
  become: true

- name: Check the command line before anything is written
  memmap_lint.preflight.check:
    grub_default: "{{ lookup('ansible.builtin.template', 'default-grub.j2') }}"
  register: preflight

- name: Check a command line on a capture kept next to the playbook
  memmap_lint.preflight.check:
    cmdline: "ro quiet reserve_mem=12M:4096:oops ramoops.mem_name=oops"
    kernel: 6.12.11-amd64
    e820: "captures/{{ inventory_hostname }}.e820"
    fail_on: error

# Fleet rules: after every host registered its check as 'preflight'
- name: Compare the hosts of the play (MM306 placement-unstable)
  memmap_lint.preflight.check:
    fleet: "{{ ansible_play_hosts }}"
  run_once: true
  register: preflight_fleet

- name: Stop the hosts the fleet rules flag
  ansible.builtin.fail:
    msg: "{{ preflight_fleet.hosts[inventory_hostname].msg }}"
  when: preflight_fleet.hosts[inventory_hostname].failed | default(false)
"""

RETURN = r"""
findings:
  description: The findings, with the fields of C(memmap-lint --format json)'s findings.
  returned: always
  type: list
  elements: dict
  sample:
    - code: MM105
      name: wildcard-unsupported
      severity: error
      host: db-01
      message: "critical: this kernel has no memmap wildcard; it reads memmap=12M: ..."
      param: memmap=12M*4096:oops
      path: /etc/default/grub
      line: 6
      column: 31
host:
  description: >-
    The host as the JSON report shows it (without findings) - dialect, kernel, panic, the e820
    table after the command line, and each region with its placement.
  returned: when checking one host
  type: dict
input:
  description: What was checked (command line or boot text, kernel, map, facts); the fleet check
    reads it back from each host's registered result.
  returned: when checking one host
  type: dict
hosts:
  description: With O(fleet), each host's fleet findings, whether they reach O(fail_on) and the
    failure message.
  returned: with O(fleet)
  type: dict
msg:
  description: >-
    The verdict; on failure each finding at or above O(fail_on) on its own line, in the words of
    C(memmap-lint) (C(path:line:col: CODE severity (name) [param]: message)), and the usable RAM
    left when the command line costs RAM.
  returned: always
  type: str
"""
