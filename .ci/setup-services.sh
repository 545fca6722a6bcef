#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust, database test), MariaDB (127.0.0.1:3306, root without
# password, database test) and Redis (127.0.0.1:6379) run: installs them from Debian's packages on a machine
# without them, starts whichever is stopped, and waits until each answers. The tests then fail, never skip,
# if one is still unreachable.
set -euo pipefail

log() { printf '    %s\n' "$*"; }

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" postgresql-client mariadb-client redis-tools >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && { log "$name is up on $port"; return 0; }
    sleep 0.5
  done
  echo "$name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! port_open 3306; then
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
if ! port_open 6379; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_for PostgreSQL 5432
wait_for MariaDB 3306
wait_for Redis 6379

# The accounts and database the tests use, as the development machines have them (idempotent).
pg_hba=$(su postgres -c "psql -tAc 'SHOW hba_file'" 2>/dev/null || true)
if [ -n "$pg_hba" ] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$pg_hba"; then
  log "PostgreSQL: trust for 127.0.0.1"
  sed -i '1i host all all 127.0.0.1/32 trust' "$pg_hba"
  su postgres -c "psql -tAc 'SELECT pg_reload_conf()'" >/dev/null
fi
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 \
  || su postgres -c "createdb test"
mariadb -uroot -e "CREATE DATABASE IF NOT EXISTS test" 2>/dev/null \
  || mysql -uroot -e "CREATE DATABASE IF NOT EXISTS test"
