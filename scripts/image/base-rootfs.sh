#!/usr/bin/env bash
# The image's base root filesystem, made from Debian's packages with mmdebstrap (no registry is needed): only
# what Node.js links against (libc6, libstdc++6, libgcc-s1) and ca-certificates for operators' own CAs. The
# packages are extracted, not installed: no shell, no package manager, no maintainer scripts; the hook below
# does what theirs would have (the CA bundle) and writes the package list where scanners look for it.
#
# Usage: scripts/image/base-rootfs.sh OUTPUT.tar
set -euo pipefail

OUTPUT="$1"
SUITE=trixie
PACKAGES=libc6,libstdc++6,libgcc-s1,ca-certificates
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security

hook="$(mktemp)"
trap 'rm -f "$hook"' EXIT
cat >"$hook" <<'HOOK'
#!/bin/sh
# mmdebstrap's extract hook, on the host, with the new root as $1 and the downloaded packages still in it.
set -eu
root="$1"

# What update-ca-certificates would write: every Mozilla root in one bundle, where OpenSSL looks
# (NODE_USE_SYSTEM_CA=1 or NODE_EXTRA_CA_CERTS reads from there).
mkdir -p "$root/etc/ssl/certs"
cat "$root"/usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"

# dpkg's status file lists what is in the image, so vulnerability scanners can read it as they read Debian's own.
status="$root/var/lib/dpkg/status"
mkdir -p "$(dirname "$status")"
: >"$status"
for deb in "$root"/var/cache/apt/archives/*.deb; do
  dpkg-deb --field "$deb" Package Version Architecture Maintainer Source Multi-Arch Depends Pre-Depends >>"$status"
  printf 'Status: install ok installed\n\n' >>"$status"
done

# The gateway's account: uid and gid 10001, no shell, no home. Node asks the passwd file who it runs as.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nlendgraph:x:10001:10001:Lendgraph:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nlendgraph:x:10001:\n' >"$root/etc/group"
printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
cp "$root/usr/lib/os-release" "$root/etc/os-release" 2>/dev/null || true

mkdir -p "$root/tmp" && chmod 1777 "$root/tmp"
HOOK
chmod +x "$hook"

# Debian's /usr is merged: /bin, /lib, /lib64 and /sbin are links into /usr (the loader Node names is
# /lib64/ld-linux-x86-64.so.2), made before the packages are extracted, as debootstrap does.
# SOURCE_DATE_EPOCH makes the same packages give the same tarball.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}" mmdebstrap --quiet --format=tar --variant=extract --include="$PACKAGES" \
  --setup-hook='for dir in bin sbin lib lib64; do mkdir -p "$1/usr/$dir" && ln -s "usr/$dir" "$1/$dir"; done' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --extract-hook="$hook \"\$1\"" \
  "$SUITE" "$OUTPUT" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main"
