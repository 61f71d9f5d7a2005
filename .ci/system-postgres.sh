#!/usr/bin/env bash
# Start Debian's PostgreSQL 15 with PostGIS for the test run, when the machine allows it
# (root on Debian). Prints the admin URL on success; prints nothing when it cannot.
# The tests run against this server (PostGIS and XML support included); without it they use
# the embedded PostgreSQL and report the PostGIS folders of the conformance run as skipped.
set -uo pipefail
PORT=54329
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then exit 0; fi
if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null 2>&1 || exit 0
fi
if ! pg_lsclusters 2>/dev/null | grep -q "^15 *livegres "; then
  pg_createcluster 15 livegres -p "$PORT" -- --auth-local=trust --auth-host=trust >/dev/null 2>&1 || exit 0
fi
pg_ctlcluster 15 livegres start >/dev/null 2>&1 || pg_ctlcluster 15 livegres status >/dev/null 2>&1 || exit 0
for _ in $(seq 1 30); do
  if su postgres -c "psql -p $PORT -Atc 'select 1'" >/dev/null 2>&1; then
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    exit 0
  fi
  sleep 0.5
done
exit 0
