"""Inventories: Ansible YAML, INI and --list JSON, with positions, host patterns and schema."""
