#!/usr/bin/env bash
# One-command set-up for developing and testing mountkit.aws on Debian 12 as root.
# Idempotent: a second run only checks and changes nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PYTHON=${PYTHON:-python3}

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages the tests and the test bed use (FUSE clients, image building), and what the test-bed
# mount-s3 build needs (FUSE headers, cmake and clang for the AWS CRT), so that one apt run serves both and
# the build can start beside the Python set-up. The VM image build installs QEMU itself, so the demo, which
# needs no VM, does not wait for it.
APT_PACKAGES=(
  attr ca-certificates debootstrap e2fsprogs fuse3 git jq make openssh-client shellcheck
  rsync s3fs util-linux
  libfuse-dev cmake clang libclang-dev pkg-config dpkg-dev
)

install_apt_packages() {
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# promtool checks the alerting rules and the metrics exposition. Only the tool is taken from Debian's
# prometheus package: installing the package would also start a Prometheus server on every address.
install_promtool() {
  command -v promtool >/dev/null 2>&1 && return
  local dir
  dir=$(mktemp -d)
  log "installing promtool from Debian's prometheus package"
  (cd "$dir" && apt-get download -q prometheus 2>/dev/null) \
    || { apt-get update -q && (cd "$dir" && apt-get download -q prometheus); }
  dpkg-deb -x "$dir"/prometheus_*.deb "$dir/root"
  install -m 0755 "$dir/root/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$dir"
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing Debian's docker.io"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
  fi
  # Leave the host network alone: containers use the host network or none.
  local config=/etc/mountkit/dockerd.json
  mkdir -p /etc/mountkit
  cat >"$config" <<'JSON'
{"iptables": false, "ip-forward": false, "bridge": "none"}
JSON
  log "starting dockerd"
  nohup dockerd --config-file "$config" >/var/log/mountkit-dockerd.log 2>&1 &
  local _
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  log "dockerd did not become ready; see /var/log/mountkit-dockerd.log"
  exit 1
}

install_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want=$(cat "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  log "installing Python tooling into $VENV"
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt" -c "$ROOT/constraints.txt"
  echo "$want" >"$stamp"
}

# A symlinked collection path makes ansible, ansible-doc and molecule see the working tree as mountkit.aws.
link_collection() {
  local parent="$VENV/collections/ansible_collections/mountkit"
  mkdir -p "$parent"
  if [[ "$(readlink "$parent/aws" 2>/dev/null)" != "$ROOT" ]]; then
    ln -sfn "$ROOT" "$parent/aws"
  fi
}

# `setup.sh system`: Debian packages, promtool and Docker (root's part, needed before anything else);
# `setup.sh python`: the venv and the collection link. No argument: both.
phase=${1:-all}
case "$phase" in
  system | python | all) ;;
  *) log "unknown phase '$phase' (system, python or all)"; exit 2 ;;
esac
if [[ "$phase" != python ]]; then
  install_apt_packages
  install_promtool
  ensure_docker
fi
if [[ "$phase" != system ]]; then
  install_venv
  link_collection
  log "ready: activate with 'source .venv/bin/activate' or use make targets"
fi
