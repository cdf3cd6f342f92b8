# Sourced by the scripts that build tools from the Go module proxy (achcli, Helm): where Go is, and one way to
# build a command into the user's cache once.
# shellcheck shell=bash

# The Go toolchain on the PATH or in /usr/local/go; empty when there is none.
find_go() {
  local go
  go="$(command -v go || true)"
  [ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
  printf '%s' "$go"
}

# go_tool_install GO TARGET MODULE@VERSION: builds the module's command with GO and puts it at TARGET (a path in the
# cache named for its version), unless it is there already.
go_tool_install() {
  local go="$1" target="$2" module="$3" tmp_bin
  [ -x "$target" ] && return 0
  mkdir -p "$(dirname "$target")"
  tmp_bin="$(mktemp -d)"
  GOBIN="$tmp_bin" "$go" install "$module"
  mv "$tmp_bin/$(basename "${module%@*}")" "$target"
  rmdir "$tmp_bin"
}
