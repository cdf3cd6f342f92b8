#!/usr/bin/env bash
# Podman on the image storage scripts/image/build.sh builds into, without a daemon (as root):
#   scripts/image/podman.sh run --rm --network host --env-file lendgraph.env lendgraph:0.1.0
#   scripts/image/podman.sh run --rm --network host --env-file lendgraph.env lendgraph:0.1.0 node dist/cli/migrate.js
#   scripts/image/podman.sh images
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=containers.sh
source "$here/containers.sh"
require_root
ensure_image_tools
podman_ "$@"
