#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the tests (Debian's package, run as the postgres user: the server refuses
# root) on 127.0.0.1, and prints the URL to put in KAIROS_TEST_PG_URL. `scripts/test-postgres.sh stop DIR` stops it.
# Usage: eval "$(scripts/test-postgres.sh start)"   # sets KAIROS_TEST_PG_URL and KAIROS_TEST_PG_DIR
set -euo pipefail
cmd="${1:-start}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2
  exit 1
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$cmd" = stop ]; then
  as_postgres "$bin/pg_ctl" -D "$2/data" -m fast stop >/dev/null
  rm -rf "$2"
  exit 0
fi
# A free port unless one is asked for (a server left by an earlier run must not stop this one).
port="${KAIROS_TEST_PG_PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}"
dir="$(mktemp -d /tmp/kairos-pg.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off" start >/dev/null
as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres kairos_test
echo "export KAIROS_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/kairos_test KAIROS_TEST_PG_DIR=$dir"
