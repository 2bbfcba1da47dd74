#!/usr/bin/env bash
# Build Mountpoint for Amazon S3's `mount-s3` from crates.io (tools/testbed/mount-s3) and
# package it as a .deb for the test bed. Users install the official packages instead.
#
# Output: $MOUNTKIT_CACHE/mount-s3/<key>/{mount-s3,mount-s3_<version>_<arch>.deb}, where <key>
# hashes the crate sources and this script, so any change yields a fresh package while cargo's
# target dir (also in the cache) keeps the rebuild incremental.
# The absolute path of the .deb is the last line on stdout; progress goes to stderr.
#
# Environment: MOUNTKIT_CACHE (default /var/cache/mountkit), MOUNTKIT_BUILD_JOBS (default: nproc).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate="$here/mount-s3"
cache="${MOUNTKIT_CACHE:-/var/cache/mountkit}"

log() { printf 'build-mount-s3: %s\n' "$*" >&2; }

key="$(cat "$crate/Cargo.toml" "$crate/Cargo.lock" "$crate/src/main.rs" "${BASH_SOURCE[0]}" \
  | sha256sum | cut -c1-16)"
out="$cache/mount-s3/$key"

# Fast path: a finished build leaves exactly one .deb and a .complete marker.
if [[ -f "$out/.complete" ]]; then
  debs=("$out"/mount-s3_*.deb)
  if [[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]]; then
    printf '%s\n' "${debs[0]}"
    exit 0
  fi
fi

# Build dependencies: libfuse2 headers for fuser, cmake + clang/libclang for the AWS CRT
# (bindgen), dpkg-deb for packaging. apt runs only when something is missing.
build_deps=(libfuse-dev cmake clang libclang-dev pkg-config dpkg-dev ca-certificates)
missing=()
for pkg in "${build_deps[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing build dependencies: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
command -v cargo >/dev/null || { log "cargo not found (install a Rust toolchain >= 1.81)"; exit 1; }

target_dir="$cache/cargo-target/mount-s3"
mkdir -p "$target_dir"
jobs="${MOUNTKIT_BUILD_JOBS:-$(nproc)}"

log "cargo build (target dir $target_dir, $jobs jobs); a clean build takes about 4 minutes on 2 cores"
start=$SECONDS
# LTO off keeps the link step short; --locked pins every crate to Cargo.lock.
CARGO_PROFILE_RELEASE_LTO=false \
  cargo build --release --locked -j "$jobs" \
  --manifest-path "$crate/Cargo.toml" --target-dir "$target_dir" >&2
log "cargo build finished in $((SECONDS - start)) s"
bin="$target_dir/release/mount-s3"

# --- packaging recipe -------------------------------------------------------------------
# `mount-s3 --version` prints "mount-s3 <version>"; Debian versions allow [A-Za-z0-9.+~]
# (a '-' would start a Debian revision), so '-' becomes '~', which also sorts this build
# below an official release of the same number.
raw_version="$("$bin" --version | awk '{print $2}')"
deb_version="$(printf '%s' "$raw_version" | sed -e 's/-/~/g' -e 's/[^A-Za-z0-9.+~]//g')"
[[ "$deb_version" =~ ^[0-9] ]] || { log "unexpected version '$raw_version'"; exit 1; }
arch="$(dpkg --print-architecture)"

mkdir -p "$cache/mount-s3"
tmp="$(mktemp -d "$cache/mount-s3/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage"
install -D -m 0755 "$bin" "$stage/usr/bin/mount-s3"
install -d -m 0755 "$stage/usr/share/doc/mount-s3" "$stage/DEBIAN"
cat >"$stage/usr/share/doc/mount-s3/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: mountpoint-s3
Source: https://crates.io/crates/mountpoint-s3-fs

Files: *
Copyright: Amazon.com, Inc. or its affiliates.
License: Apache-2.0
 Built from the mountpoint-s3-fs crate and its dependencies (see Cargo.lock);
 on Debian systems the license text is in /usr/share/common-licenses/Apache-2.0.
EOF
# Depends mirrors the official package (fuse, libfuse2, ca-certificates). On Debian 12 and
# Ubuntu, fuse3 ships /bin/fusermount (-> fusermount3) and Provides/Breaks "fuse", so
# "fuse3 | fuse" is met by either without pulling fuse 2 in over fuse3.
cat >"$stage/DEBIAN/control" <<EOF
Package: mount-s3
Version: $deb_version
Architecture: $arch
Maintainer: mountkit.aws test bed <mountkit@localhost>
Installed-Size: $(du -k -s "$stage/usr" | cut -f1)
Depends: libfuse2, ca-certificates, fuse3 | fuse
Section: utils
Priority: optional
Homepage: https://github.com/awslabs/mountpoint-s3
Description: Mountpoint for Amazon S3 (test-bed build from crates.io)
 mount-s3 built from the mountpoint-s3-fs crate for the mountkit.aws test bed.
 Production hosts should install the official Mountpoint packages.
EOF
deb="$tmp/out/mount-s3_${deb_version}_${arch}.deb"
mkdir -p "$tmp/out"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
install -m 0755 "$bin" "$tmp/out/mount-s3"
touch "$tmp/out/.complete"
# ---------------------------------------------------------------------------------------

# Publish atomically so a concurrent or interrupted run never sees a half-written directory.
rm -rf "$out"
mv "$tmp/out" "$out"
log "packaged mount-s3 $raw_version"
printf '%s\n' "$out/mount-s3_${deb_version}_${arch}.deb"
