#!/usr/bin/env bash
# The demo: converge and verify a disposable local host against a local S3 server.
#
# 1. starts a local S3 server on 127.0.0.1 with the bucket `mountkit-demo`;
# 2. starts a disposable systemd container `mountkit-demo` running its own Docker engine;
# 3. runs `ansible-playbook site.yml -i inventories/local` (Docker propagation, a Mountpoint for Amazon S3
#    mount and an s3fs mount under /srv/shared);
# 4. runs playbooks/verify.yml (flags, liveness, a read of existing files, and, since the host is disposable,
#    the I/O semantics write probes and the hand-off check in a .mountkit-demo directory under each mount)
#    and prints the report;
# 5. removes the container and stops the server, unless MOUNTKIT_DEMO_KEEP=1 (then `tools/demo.sh clean`
#    removes them later).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${MOUNTKIT_RUN:-/run/mountkit}/demo
HOST=mountkit-demo
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.venv/collections"
export MOUNTKIT_REPORT_DIR="$ROOT/reports/demo"

say() { printf '\n=== %s\n' "$*" >&2; }

clean() {
  docker rm -f "$HOST" >/dev/null 2>&1 || true
  python "$ROOT/tools/testbed/s3server.py" stop --state-dir "$STATE/s3"
}

if [[ "${1:-}" == clean ]]; then
  clean
  exit 0
fi

cd "$ROOT"
clean  # a kept demo from an earlier run
if [[ "${MOUNTKIT_DEMO_KEEP:-0}" != 1 ]]; then
  trap clean EXIT
fi

say "Building the mount-s3 package (cached after the first run)"
MOUNTKIT_MOUNT_S3_DEB=$(bash tools/testbed/build-mount-s3.sh | tail -n 1)
export MOUNTKIT_MOUNT_S3_DEB
image=$(bash tools/testbed/build-image.sh | tail -n 1)

say "Starting a local S3 server"
python tools/testbed/s3server.py start --state-dir "$STATE/s3" --bucket mountkit-demo >/dev/null
set -a
# shellcheck disable=SC1091  # written by s3server.py
. "$STATE/s3/s3server.env"
set +a
echo "S3 endpoint: $S3_ENDPOINT_URL" >&2

say "Starting the disposable host $HOST"
# systemd as PID 1 with FUSE; NET_ADMIN and a tmpfs /var/lib/docker let the host run its own Docker engine,
# which the docker_propagation role configures. It shares the network, to reach the S3 server on 127.0.0.1.
docker run -d --name "$HOST" --hostname "$HOST" --network host \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --device /dev/fuse \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /var/lib/docker:size=512m \
  --stop-signal SIGRTMIN+3 "$image" /sbin/init >/dev/null
for _ in $(seq 1 60); do
  state=$(docker exec "$HOST" systemctl is-system-running 2>/dev/null || true)
  [[ "$state" == running || "$state" == degraded ]] && break
  sleep 0.5
done
# The host's Docker engine must leave the shared network alone, like any engine on a host network.
docker exec "$HOST" sh -c 'mkdir -p /etc/docker && printf "%s\n" "{\"iptables\": false, \"ip-forward\": false, \"ip-masq\": false, \"bridge\": \"none\"}" >/etc/docker/daemon.json && systemctl enable --now docker.socket docker.service' >/dev/null 2>&1

say "ansible-playbook site.yml -i inventories/local"
ansible-playbook site.yml -i inventories/local

# A production audit writes nothing by default; the demo's host is disposable, so it names a probe location.
say "ansible-playbook playbooks/verify.yml -i inventories/local -e mountkit_verify_probe_dir=.mountkit-demo -e mountkit_verify_handoff=true"
ansible-playbook playbooks/verify.yml -i inventories/local -e mountkit_verify_probe_dir=.mountkit-demo \
  -e mountkit_verify_handoff=true

say "Reports: $MOUNTKIT_REPORT_DIR/mountkit-verify.json and .xml"
if [[ "${MOUNTKIT_DEMO_KEEP:-0}" == 1 ]]; then
  echo "Kept: docker exec -it $HOST bash; remove with tools/demo.sh clean" >&2
fi
