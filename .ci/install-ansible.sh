#!/bin/sh
# The `ansible` tests run the real ansible-playbook, ansible-doc and ansible-galaxy from
# ansible-core on PyPI, installed into the project venv (.ci/run creates it first: run this
# script after `pip install -e '.[test]'`, or add ansible-core to the test extra). Over SSH they
# also need OpenSSH's client (.ci/install-sshd.sh).
set -eu
cd "$(dirname "$0")/.."
if [ -x .venv/bin/ansible-playbook ]; then
    exit 0
fi
if [ ! -x .venv/bin/pip ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q 'ansible-core>=2.15'
