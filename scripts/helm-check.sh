#!/usr/bin/env bash
# Checks the Helm chart in helm/lendgraph offline, for each values file in helm/lendgraph/ci/: `helm lint --strict`,
# `helm template`, and tools/manifest-check over the rendering (every object decoded strictly against the Kubernetes,
# Prometheus Operator, CloudNativePG and Keycloak Operator types, then the references between them). The checker's
# own tests run first, and a rendering with one unknown field must be refused, or the check fails.
#
#   scripts/helm-check.sh [--out DIR] [-f EXTRA_VALUES]...
#
# --out DIR keeps each rendering (NAME.yaml) and its objects as JSON lines (NAME.jsonl) in DIR. -f adds a values
# file on top of each ci/ file (to see a deliberately broken value refused). Helm v4.3.2 is built once with the Go
# toolchain into ~/.cache/lendgraph/tools (as scripts/test-prerequisites.sh does); Go's build cache keeps the
# checker's build quick after the first. Exit 0 when everything passes, 1 when something is refused, 3 when Go is
# missing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/helm/lendgraph"
HELM_VERSION=v4.3.2
tools="${HOME}/.cache/lendgraph/tools"
helm="$tools/helm-$HELM_VERSION"

out=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    -f) extra+=(-f "$2"); shift 2 ;;
    *) echo "helm-check: unknown argument $1 (usage: scripts/helm-check.sh [--out DIR] [-f EXTRA_VALUES]...)" >&2; exit 2 ;;
  esac
done

# shellcheck source=goTools.sh
source "$(dirname "${BASH_SOURCE[0]}")/goTools.sh"
GO="$(find_go)"
if [ -z "$GO" ]; then
  echo "helm-check: the Go toolchain is missing; it builds Helm and tools/manifest-check" >&2
  exit 3
fi

if [ ! -x "$helm" ]; then
  echo "helm-check: building Helm $HELM_VERSION (Go module proxy)…"
  go_tool_install "$GO" "$helm" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "$out" ]; then mkdir -p "$out"; else out="$work/renderings"; mkdir -p "$out"; fi

# The checker's tests prove it refuses: each changes one line of a passing release and expects a refusal.
"$GO" -C "$root/tools/manifest-check" test ./... >"$work/go-test.log" 2>&1 || { cat "$work/go-test.log"; echo "helm-check: manifest-check's own tests failed" >&2; exit 1; }
"$GO" -C "$root/tools/manifest-check" build -o "$work/manifest-check" .
check="$work/manifest-check"

failed=0
values_files=("$chart"/ci/*.yaml)
for values in "${values_files[@]}"; do
  name="$(basename "$values" .yaml)"
  if ! "$helm" lint --strict "$chart" -f "$values" "${extra[@]}" >"$work/lint.log" 2>&1; then
    cat "$work/lint.log"
    echo "FAILED $name: helm lint --strict"
    failed=1
    continue
  fi
  if ! "$helm" template lendgraph "$chart" --namespace lendgraph -f "$values" "${extra[@]}" >"$out/$name.yaml" 2>"$work/template.log"; then
    cat "$work/template.log"
    echo "FAILED $name: helm template"
    failed=1
    continue
  fi
  if "$check" --json "$out/$name.yaml" >"$out/$name.jsonl" 2>"$work/check.log"; then
    echo "passed $name: $(tail -n 1 "$work/check.log")"
  else
    grep -v '^ok ' "$work/check.log" || true
    echo "FAILED $name: manifest-check refused the rendering"
    failed=1
  fi
done

# The check itself must bite: the first rendering with the Deployment's `replicas` misspelt is refused.
first="$out/$(basename "${values_files[0]}" .yaml).yaml"
if [ "$failed" = 0 ] && [ -f "$first" ]; then
  sed 's/^  replicas: /  replicass: /' "$first" >"$work/broken.yaml"
  if ! grep -q '^  replicass: ' "$work/broken.yaml"; then
    echo "FAILED the negative check: no Deployment replicas line to misspell in $first"
    failed=1
  elif "$check" "$work/broken.yaml" >"$work/broken.log" 2>&1; then
    echo "FAILED the negative check: manifest-check accepted spec.replicass"
    failed=1
  elif grep -q 'unknown field "spec.replicass"' "$work/broken.log"; then
    echo "negative check: a rendering with spec.replicass is refused"
  else
    cat "$work/broken.log"
    echo "FAILED the negative check: refused, but not for spec.replicass"
    failed=1
  fi
fi

exit "$failed"
