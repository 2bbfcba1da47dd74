#!/usr/bin/env bash
# Runs `ansible-test sanity` on the collection's tracked and untracked-but-not-ignored files. ansible-test
# needs the collection under ansible_collections/<namespace>/<name>/, so the tree is copied there first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A directory per run, so that two runs at once never share one copy.
WORK="$ROOT/build/sanity-$$"
DEST="$WORK/ansible_collections/mountkit/aws"
trap 'rm -rf "$WORK"' EXIT
CACHE=${MOUNTKIT_CACHE:-/var/cache/mountkit}

# ansible-test fills each sanity venv with pip by running a bootstrap script that it downloads from its own
# file server. Provide that script from the pip wheel on PyPI instead; it behaves like get-pip.py.
pip_version=$(python - <<'PY'
import re, ansible_test._internal.python_requirements as r
print(re.search(r"pip='([0-9.]+)'", open(r.__file__).read()).group(1))
PY
)
bootstrap="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
wheel_dir="$CACHE/pip-wheels/$pip_version"
if [[ ! -f "$bootstrap" ]]; then
  mkdir -p "$wheel_dir" "$(dirname "$bootstrap")"
  python -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$wheel_dir" "pip==$pip_version"
  wheel=$(ls "$wheel_dir"/pip-"$pip_version"-*.whl)
  cat >"$bootstrap.tmp" <<PY
import sys
sys.path.insert(0, "$wheel")
from pip._internal.cli.main import main
# --no-setuptools/--no-wheel are get-pip's own options: it installs neither unless asked anyway.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
PY
  mv "$bootstrap.tmp" "$bootstrap"
fi

rm -rf "$DEST"
mkdir -p "$DEST"
cd "$ROOT"
git ls-files -z --cached --others --exclude-standard | rsync -a --from0 --files-from=- ./ "$DEST/"
# Collections whose code or doc fragments the modules use (galaxy.yml dependencies) sit beside the copy, where
# ansible-test looks for them; they come from the ansible package in the venv.
site=$(python -c 'import ansible_collections.amazon.aws as c; print(list(c.__path__)[0].rsplit("/", 2)[0])')
mkdir -p "$WORK/ansible_collections/amazon"
cp -a "$site/amazon/aws" "$WORK/ansible_collections/amazon/aws"
cd "$DEST"
git init -q && git add -A  # ansible-test lists the collection's files through git
ansible-test sanity --color no --python 3.11 --requirements "$@"
