#!/usr/bin/env bash
# Build (or reuse) the Debian bookworm disk image for the EFS test VM.
#
# The host kernel has no NFS client, so EFS (NFSv4.1) is exercised inside a
# QEMU guest that is both NFS server (export /srv/efs) and kernel NFS client.
#
# Output: ${MOUNTKIT_CACHE:-/var/cache/mountkit}/vm/<key>/ with
#   base.qcow2  vmlinuz  initrd.img  id_ed25519[.pub]  image-info.txt
# <key> is a short hash of this file, so any change to the recipe rebuilds.
# The cache directory is printed as the last line of stdout.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
KEY=$(sha256sum "$SELF" | cut -c1-12)
CACHE_ROOT=${MOUNTKIT_CACHE:-/var/cache/mountkit}/vm
FINAL=$CACHE_ROOT/$KEY

# Fast path: the final directory only ever appears through an atomic rename.
if [[ -f $FINAL/base.qcow2 ]]; then
    echo "$FINAL"
    exit 0
fi

# From here on stdout carries only the final path; progress goes to stderr.
exec 3>&1 1>&2

MIRROR=${MOUNTKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
HOSTNAME_VM=mountkit-vm
DISK_SIZE=4G

# Guest packages. python3/python3-apt/sudo are what Ansible needs; dbus and
# libpam-systemd keep systemctl/hostnamectl-based modules working; zstd gives
# a smaller, faster-to-unpack initrd.
GUEST_PACKAGES=(
    systemd-sysv udev dbus libpam-systemd kmod procps iproute2
    linux-image-amd64 zstd
    openssh-server sudo ca-certificates
    python3 python3-apt
    nfs-common nfs-kernel-server
)

log() { echo "build-vm-image: $*"; }
die() { echo "build-vm-image: error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot, mkfs -d)"

ensure_host_deps() {
    local -A need=(
        [debootstrap]=debootstrap
        [qemu-system-x86_64]=qemu-system-x86
        [qemu-img]=qemu-utils
        [mkfs.ext4]=e2fsprogs
        [ssh-keygen]=openssh-client
    )
    local cmd missing=()
    for cmd in "${!need[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Try without refreshing the lists first; refresh only if that fails.
    apt-get install -y --no-install-recommends "${missing[@]}" ||
        { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# Unmount everything below $1 (deepest first), then delete it without ever
# crossing into another filesystem: an interrupted debootstrap may leave
# /proc, /sys or device mounts inside the tree.
remove_tree() {
    local dir=$1 mnt
    [[ -n $dir && -d $dir ]] || return 0
    while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    rm -rf --one-file-system "$dir"
}

ensure_host_deps
mkdir -p "$CACHE_ROOT"

# Serialise concurrent builds of the same recipe.
exec 9>"$CACHE_ROOT/.build-$KEY.lock"
flock 9
if [[ -f $FINAL/base.qcow2 ]]; then
    echo "$FINAL" >&3
    exit 0
fi
# Under the lock any leftover temp dir of this key is from an interrupted run.
for stale in "$CACHE_ROOT"/.tmp-"$KEY".*; do
    if [[ -e $stale ]]; then
        log "removing stale $stale"
        remove_tree "$stale"
    fi
done

START=$SECONDS
WORK=$(mktemp -d "$CACHE_ROOT/.tmp-$KEY.XXXXXX")
trap 'remove_tree "$WORK"' EXIT
# Make INT/TERM/HUP run the EXIT trap too; SIGKILL leaves a .tmp dir that the
# next build removes under the lock.
trap 'exit 130' INT
trap 'exit 143' TERM HUP
ROOTFS=$WORK/rootfs

log "debootstrap $SUITE (minbase) into $ROOTFS"
# --foreign + --second-stage lets policy-rc.d be in place before any
# maintainer script runs, so no package tries to start daemons on the host.
include=$(IFS=,; echo "${GUEST_PACKAGES[*]}")
debootstrap --variant=minbase --foreign --include="$include" "$SUITE" "$ROOTFS" "$MIRROR"
install -m 0755 /dev/stdin "$ROOTFS/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
exit 101
EOF
# Small initrd (~6 MB instead of ~30 MB, about 2 s less boot under TCG): the
# guest only needs virtio disk + ext4 to find its root. Both files must exist
# before the kernel package is configured; neither is a dpkg conffile.
install -D -m 0644 /dev/stdin "$ROOTFS/etc/initramfs-tools/conf.d/mountkit" <<'EOF'
MODULES=list
EOF
install -D -m 0644 /dev/stdin "$ROOTFS/usr/share/initramfs-tools/modules.d/mountkit" <<'EOF'
virtio_pci
virtio_blk
ext4
EOF
chroot "$ROOTFS" /debootstrap/debootstrap --second-stage
log "debootstrap done after $((SECONDS - START)) s"

in_root() { chroot "$ROOTFS" "$@"; }
put() { # put MODE PATH  (content on stdin)
    install -D -m "$1" /dev/stdin "$ROOTFS$2"
}

# --- identity -------------------------------------------------------------
echo "$HOSTNAME_VM" | put 0644 /etc/hostname
put 0644 /etc/hosts <<EOF
127.0.0.1 localhost
127.0.1.1 $HOSTNAME_VM
::1 localhost ip6-localhost ip6-loopback
EOF
# Empty machine-id: every throwaway overlay gets its own id at first boot.
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
# First boot (empty machine-id) would run "preset-all"; keep the enabled set
# exactly as baked here.
echo 'disable *' | put 0644 /etc/systemd/system-preset/00-mountkit.preset

put 0644 /etc/fstab <<'EOF'
/dev/vda / ext4 rw,noatime,errors=remount-ro 0 0
EOF

# --- network: QEMU user-mode networking (DHCP on eth0, DNS at 10.0.2.3) ----
put 0644 /etc/systemd/network/20-eth0.network <<'EOF'
[Match]
Name=eth0

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
# No systemd-resolved in the image: point straight at slirp's resolver.
rm -f "$ROOTFS/etc/resolv.conf"
echo 'nameserver 10.0.2.3' | put 0644 /etc/resolv.conf
# network-online.target is pulled in by nfs-server and _netdev mounts; one
# configured link is enough, and never stall boot for long.
put 0644 /etc/systemd/system/systemd-networkd-wait-online.service.d/mountkit.conf <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=20
EOF

put 0644 /etc/apt/sources.list <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian}/debian-security $SUITE-security main
EOF

# --- ssh: root by key only -------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C "mountkit-vm-$KEY" -f "$WORK/id_ed25519"
install -d -m 0700 "$ROOTFS/root/.ssh"
install -m 0600 "$WORK/id_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
put 0644 /etc/ssh/sshd_config.d/mountkit.conf <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

# --- NFS server standing in for EFS ----------------------------------------
install -d -m 0755 "$ROOTFS/srv/efs"
# fsid=0 makes /srv/efs the NFSv4 pseudo-root, so clients mount "HOST:/"
# like an EFS file system. "insecure" is required because the EFS option
# noresvport connects from a non-privileged source port.
put 0644 /etc/exports <<'EOF'
/srv/efs *(rw,sync,no_subtree_check,no_root_squash,insecure,fsid=0)
EOF
# EFS speaks NFSv4.0/4.1 only: offer exactly that, so an unpinned client
# negotiates 4.1 as it would against EFS. A short grace period keeps the
# first writes after a boot or server restart from stalling for 90 s.
put 0644 /etc/nfs.conf.d/mountkit.conf <<'EOF'
[nfsd]
vers3=n
vers4=y
vers4.0=y
vers4.1=y
vers4.2=n
grace-time=10
EOF
[[ $(in_root nfsconf --get nfsd vers4.1) == y ]] || die "nfs.conf.d drop-in not honoured"
# nfsd sizes its maximum I/O from RAM (256 KiB with 2 GiB); EFS offers 1 MiB,
# so rsize/wsize=1048576 must show up in mountinfo as it does on EC2. The
# value can only be written while no nfsd threads run, hence ExecStartPre.
put 0644 /etc/systemd/system/nfs-server.service.d/mountkit.conf <<'EOF'
[Service]
ExecStartPre=-/bin/sh -c 'echo 1048576 > /proc/fs/nfsd/max_block_size'
EOF

# --- services ----------------------------------------------------------------
in_root systemctl enable ssh.service systemd-networkd.service nfs-server.service
# Nothing may grab the dpkg lock or start maintenance while a test runs; the
# firstboot wizard would prompt on the serial console.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer \
    apt-daily.service apt-daily-upgrade.service \
    systemd-firstboot.service
# Units that only cost boot time in a throwaway guest.
for t in e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer \
    nfs-blkmap.service systemd-pstore.service; do
    in_root systemctl disable "$t" 2>/dev/null || true
done
# No display (-nodefaults): only the serial getty is useful.
in_root systemctl mask getty@tty1.service

# --- tidy --------------------------------------------------------------------
rm -f "$ROOTFS/usr/sbin/policy-rc.d"
in_root apt-get clean
rm -rf "$ROOTFS/debootstrap" "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/*

# --- kernel, initrd, disk ----------------------------------------------------
kernels=("$ROOTFS"/boot/vmlinuz-*)
((${#kernels[@]} == 1)) || die "expected one kernel in /boot, found: ${kernels[*]}"
kver=${kernels[0]##*/vmlinuz-}
cp "$ROOTFS/boot/vmlinuz-$kver" "$WORK/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$kver" "$WORK/initrd.img"

log "creating ext4 image"
mkfs.ext4 -q -F -L mountkit-root -d "$ROOTFS" "$WORK/disk.raw" "$DISK_SIZE"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/base.qcow2"
rm -f "$WORK/disk.raw"
remove_tree "$ROOTFS"

cat >"$WORK/image-info.txt" <<EOF
key=$KEY
suite=$SUITE
kernel=$kver
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$((SECONDS - START))
EOF
chmod 0755 "$WORK"
mv -T "$WORK" "$FINAL"
trap - EXIT
log "image ready in $((SECONDS - START)) s: $FINAL"
echo "$FINAL" >&3
