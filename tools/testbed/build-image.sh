#!/usr/bin/env bash
# Builds the Debian systemd image that molecule and the demo use as a disposable host:
#   build-image.sh [SUITE]     SUITE bookworm (default), trixie or sid; tagged mountkit/debian-systemd:SUITE
# Without SUITE, MOUNTKIT_IMAGE may name the bookworm image's tag.
# No registry is needed: the root file system comes from debootstrap and enters Docker by `docker import`.
# The image carries a label with the hash of this recipe and suite; it is rebuilt only when they change.
# Prints the image reference on its last line.
set -euo pipefail

if [[ $# -gt 0 ]]; then
  SUITE=$1
  IMAGE=mountkit/debian-systemd:$SUITE
else
  SUITE=bookworm
  IMAGE=${MOUNTKIT_IMAGE:-mountkit/debian-systemd:bookworm}
fi
APT_OPTIONS=()
case "$SUITE" in
  bookworm) SUITE_PACKAGES=(libfuse2) ;;
  # The 64-bit time_t transition renamed the FUSE 2 library package; docker.io only recommends its CLI.
  trixie) SUITE_PACKAGES=(libfuse2t64 docker-cli) ;;
  # sid's Release file expires within days, which a mirror's snapshot may have passed.
  sid) SUITE_PACKAGES=(libfuse2t64 docker-cli); APT_OPTIONS=(-o Acquire::Check-Valid-Until=false) ;;
  *) echo "build-image.sh: unknown suite '$SUITE' (bookworm, trixie or sid)" >&2; exit 2 ;;
esac
MIRROR=${MOUNTKIT_MIRROR:-http://deb.debian.org/debian}
BASE_PACKAGES=(
  systemd systemd-sysv dbus python3 python3-apt sudo fuse3 iproute2 procps ca-certificates kmod less
)
# What the roles need at converge, baked in so converge does not depend on the mirror. Installed by apt
# inside the root file system, because debootstrap does not see that fuse3 provides `fuse`.
# python3-boto3: the preflight modules run on the host, with its credentials.
ROLE_PACKAGES=("${SUITE_PACKAGES[@]}" gnupg curl s3fs docker.io python3-boto3)

recipe=$( { cat "${BASH_SOURCE[0]}"; echo "$MIRROR $SUITE"; } | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "io.mountkit.recipe" }}' "$IMAGE" 2>/dev/null || true)
if [[ "$current" == "$recipe" ]]; then
  echo "$IMAGE"
  exit 0
fi

echo "building $IMAGE (recipe $recipe)" >&2
work=$(mktemp -d /var/tmp/mountkit-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

debootstrap --variant=minbase --include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" "$SUITE" "$rootfs" "$MIRROR" >&2

# Services must not start while packages are baked.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
chroot "$rootfs" apt-get "${APT_OPTIONS[@]}" update -q >&2
chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${ROLE_PACKAGES[@]}" >&2
chroot "$rootfs" apt-get clean

# A container gets its identity at boot.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/etc/hostname" "$rootfs/usr/sbin/policy-rc.d"
# Docker inside the host is opt-in per scenario; units that need a real console or kernel are noise.
chroot "$rootfs" systemctl disable docker.service docker.socket containerd.service >&2 || true
chroot "$rootfs" systemctl mask systemd-udevd.service systemd-udevd-kernel.socket \
  systemd-udevd-control.socket getty@tty1.service console-getty.service \
  systemd-firstboot.service systemd-remount-fs.service >&2

tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/sbin/init"]' \
  --change "LABEL io.mountkit.recipe=$recipe" \
  - "$IMAGE" >&2
echo "$IMAGE"
