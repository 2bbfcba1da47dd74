#!/usr/bin/env bash
# Converges and verifies a disposable local host against a local S3 server (see README.md).
set -euo pipefail
echo "The demo is not yet available: it needs playbooks/site.yml and the storage roles." >&2
exit 1
