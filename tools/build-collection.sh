#!/usr/bin/env bash
# Builds the collection tarball and proves it installs and that every module's documentation renders from it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/build/collection"
rm -rf "$OUT"
mkdir -p "$OUT/installed"
ansible-galaxy collection build --force --output-path "$OUT" "$ROOT" >&2
tarball=$(ls "$OUT"/mountkit-aws-*.tar.gz)
ANSIBLE_COLLECTIONS_PATH="$OUT/installed" ansible-galaxy collection install --no-deps -p "$OUT/installed" "$tarball" >&2
# Only the installed copy may be found, so a file missing from the tarball shows here.
export ANSIBLE_COLLECTIONS_PATH="$OUT/installed"
names() { ansible-doc -t "$1" -l mountkit.aws -j | python -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin))))'; }
modules=$(names module)
roles=$(names role)
for module in $modules; do
  ansible-doc -t module "$module" >/dev/null
done
for role in $roles; do
  ansible-doc -t role "$role" >/dev/null
done
echo "built $tarball; docs render for modules: ${modules:-none}; roles: ${roles:-none}"
