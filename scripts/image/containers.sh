# Sourced by the image scripts: where the image is kept, and the tools that build and run it without a daemon.
#
# Images live in a containers-storage of their own under the user's cache, with the vfs driver: it needs no
# kernel overlay support and cannot clash with a machine's own Podman storage (another driver, another layout).
# It is also the build's cache: the base layer and the dependencies' layer are kept there between builds.
# shellcheck shell=bash

LENDGRAPH_CACHE="${LENDGRAPH_CACHE:-${HOME}/.cache/lendgraph}"
IMAGE_CACHE="${LENDGRAPH_CACHE}/image"
IMAGE_STORAGE="${IMAGE_CACHE}/storage"
# Lock files and mount points only; lost on reboot, which is what they are for.
IMAGE_RUNROOT="/run/lendgraph-image"

# HEALTHCHECK exists only in Docker's image format, which Docker, Podman and Kubernetes all run.
export BUILDAH_FORMAT=docker

STORAGE_FLAGS=(--root "$IMAGE_STORAGE" --runroot "$IMAGE_RUNROOT" --storage-driver vfs)

buildah_() { buildah "${STORAGE_FLAGS[@]}" "$@"; }
# Without systemd (a CI machine, a container) Podman keeps cgroups and events itself. runc rather than Debian 12's
# crun, which refuses a machine whose cgroups are half v1, half v2 ("hybrid"), as CI's are.
podman_() { podman "${STORAGE_FLAGS[@]}" --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"; }

image_fail() {
  echo "image: $*" >&2
  exit 1
}

# buildah and Podman (with runc) run as root here (vfs storage, chroot isolation; no user namespaces to set up);
# mmdebstrap makes the base root filesystem from Debian's packages. Installed from Debian when missing.
ensure_image_tools() {
  local missing=()
  command -v buildah >/dev/null 2>&1 || missing+=(buildah)
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    image_fail "${missing[*]} missing: install them (Debian: apt-get install ${missing[*]}) or run as root on Debian"
  fi
  echo "image: installing ${missing[*]} (Debian packages)…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_root() {
  [ "$(id -u)" = "0" ] || image_fail "run as root: buildah and Podman use vfs storage and chroot isolation, which need it"
}

package_version() {
  sed -nE 's/^  "version": "([^"]+)",?$/\1/p' "$1/package.json" | head -n 1
}
