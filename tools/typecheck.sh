#!/usr/bin/env bash
# mypy --strict over the import package as it is installed: linter/ is memmap_lint and rules/ is
# memmap_lint.rules (pyproject's package-dir), which mypy cannot map by itself, so check a
# symlink tree of that shape.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp -rs "$root/linter" "$tree/memmap_lint"
cp -rs "$root/rules" "$tree/memmap_lint/rules"
find "$tree" -name __pycache__ -prune -exec rm -rf {} +
cd "$root"
python -m mypy --config-file "$root/pyproject.toml" "$tree/memmap_lint" "$@" \
  | sed "s#$tree/##g"
exit "${PIPESTATUS[0]}"
