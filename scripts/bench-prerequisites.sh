#!/usr/bin/env bash
# Installs what `npm run bench:payments` needs beyond npm packages: pgbench, run against the bench's own
# embedded PostgreSQL 18 as a reference point. Debian ships the pgbench binary in the server package
# (postgresql-NN, /usr/lib/postgresql/NN/bin/pgbench), not in postgresql-client-NN; /usr/bin/pgbench is only
# postgresql-client-common's wrapper, which fails when no version is installed. Any major version works as a
# client. Installing the server package does not start a server the bench uses: the bench runs its own.
# Idempotent and quick when pgbench is already there.
set -euo pipefail

has_pgbench() {
  compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null 2>&1 && return 0
  # A pgbench outside Debian's layout (another distribution, a source build) that runs.
  command -v pgbench >/dev/null 2>&1 && pgbench --version >/dev/null 2>&1
}

if ! has_pgbench; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench prerequisites: installing pgbench (Debian package postgresql, which depends on postgresql-NN)…"
    apt-get update -qq
    # `postgresql` is the release's current major (15 on bookworm, 17 on trixie); its server package carries pgbench.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "bench prerequisites: pgbench is missing and cannot be installed here (needs root and apt-get)." >&2
    echo "  Install your distribution's PostgreSQL server package (it carries pgbench), then run again." >&2
    exit 1
  fi
  has_pgbench || { echo "bench prerequisites: pgbench still not found after installing" >&2; exit 1; }
fi
