#!/usr/bin/env bash
# Build the s3s-fs S3 server (crates.io, Rust, objects kept as files) for bench/datapath. moto keeps objects
# in memory in one Python process and tops out near 130 MB/s, so every data-path contender would only
# measure moto; s3s-fs serves the same S3 API from native code and a directory.
#
#   bash bench/build-s3s-fs.sh            # prints the binary's absolute path as the last line
#
# Output: $MOUNTKIT_CACHE/s3s-fs/<version>/bin/s3s-fs, built once per version with the crate's own
# Cargo.lock (--locked); a later call only prints the path. Progress goes to stderr.
# A clean build takes about 3 minutes on 2 cores. Environment: MOUNTKIT_CACHE (default /var/cache/mountkit),
# MOUNTKIT_BUILD_JOBS (default: nproc), S3S_FS_VERSION (default below; 0.15 and later need a newer Rust).
set -euo pipefail

version="${S3S_FS_VERSION:-0.14.1}"
cache="${MOUNTKIT_CACHE:-/var/cache/mountkit}"
out="$cache/s3s-fs/$version"
bin="$out/bin/s3s-fs"

log() { printf 'build-s3s-fs: %s\n' "$*" >&2; }

if [[ -f "$out/.complete" && -x "$bin" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

command -v cargo >/dev/null || { log "cargo not found (install a Rust toolchain >= 1.92)"; exit 1; }
jobs="${MOUNTKIT_BUILD_JOBS:-$(nproc)}"
target_dir="$cache/cargo-target/s3s-fs"
mkdir -p "$cache/s3s-fs" "$target_dir"

# Install into a temporary root and publish it atomically, so an interrupted build is never used.
tmp="$(mktemp -d "$cache/s3s-fs/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "cargo install s3s-fs $version --features binary ($jobs jobs, target dir $target_dir)"
start=$SECONDS
# The server's binary sits behind the crate's `binary` feature.
cargo install s3s-fs --version "=$version" --features binary --locked -j "$jobs" \
  --root "$tmp" --target-dir "$target_dir" >&2
log "built in $((SECONDS - start)) s"
touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
printf '%s\n' "$bin"
