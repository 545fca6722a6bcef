#!/usr/bin/env bash
# Installs and starts what the tests (scripts/test.sh, which runs this first) need and this machine lacks.
# Safe to run again and quick when all is there (about a second): each step acts only on what is missing,
# stopped or at the wrong version, and anything still missing afterwards fails the run.
#
#   bash scripts/setup.sh [services] [web] [clients]     (default: all three)
#
#   all       a C compiler (build-essential: linking, SQLite), node >= 20 with npm, the wasm32 target
#   services  PostgreSQL (127.0.0.1:5432, trust, database test), MariaDB (127.0.0.1:3306, root without
#             password, database test), Redis (127.0.0.1:6379): Debian's packages, started when stopped
#   web       Debian's chromium + chromium-driver (never a downloaded browser), sqlite3, a CJK font (legible
#             Chinese in the screenshots); wasm-bindgen-cli at the exact version crates/wasm pins
#   clients   curl, psql, python3-venv; a virtualenv at target/clients-venv with
#             tests/clients/python/requirements.txt (redone when that file changes)
#   web, clients   the npm packages of package-lock.json (`npm ci` when node_modules differs from it)
#
# Debian packages are installed with apt-get (as root, or through sudo), in one call for all parts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

started=$(date +%s%N)
services=false web=false clients=false
(($#)) || set -- services web clients
for part in "$@"; do
  case "$part" in
    services) services=true ;;
    web) web=true ;;
    clients) clients=true ;;
    *) echo "usage: $0 [services] [web] [clients]" >&2; exit 2 ;;
  esac
done

did=()
say() { printf 'setup: %s\n' "$*"; did+=("$1"); }
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }
has() { command -v "$1" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- Debian packages, all parts in one apt-get call -----------------------------------------------------
packages=()
has cc || packages+=(build-essential)
if ! has node || ! has npm; then packages+=(nodejs npm); fi
if $services; then
  has pg_ctlcluster || packages+=(postgresql)
  [[ -x /usr/sbin/mariadbd ]] || packages+=(mariadb-server)
  has mariadb || has mysql || packages+=(mariadb-client)
  has redis-server || packages+=(redis-server)
fi
if $services || $clients; then
  has psql || packages+=(postgresql-client)
fi
if $web; then
  [[ -x /usr/bin/chromium ]] || packages+=(chromium)
  [[ -x /usr/bin/chromedriver ]] || packages+=(chromium-driver)
  has sqlite3 || packages+=(sqlite3)
  [[ -d /usr/share/fonts/truetype/wqy ]] || dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || packages+=(fonts-wqy-microhei)
fi
if $clients; then
  has curl || packages+=(curl)
  [[ -x target/clients-venv/bin/python ]] || python3 -c 'import venv, ensurepip' 2>/dev/null \
    || packages+=(python3-venv)
fi
if ((${#packages[@]})); then
  say "apt-get install ${packages[*]}"
  if ! as_root apt-get -o DPkg::Lock::Timeout=600 update -qq ||
    ! as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      "${packages[@]}" >/dev/null; then
    echo "setup: cannot install ${packages[*]} (apt-get failed); install them and run again" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "setup: node >= 20 is required (package.json), found $(node --version 2>/dev/null || echo none);" \
    "install a newer nodejs (e.g. from nodesource) and run again" >&2
  exit 1
fi

# --- Rust: the wasm32 target (crates/wasm's tests and web/pkg's check build for it) ------------------------
if [[ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib" ]]; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- services: start what is stopped, then the accounts and database the tests use -----------------------
wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  echo "setup: $name did not come up on 127.0.0.1:$port" >&2
  exit 1
}
if $services; then
  if ! port_open 5432; then
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  fi
  if ! port_open 3306; then
    say "starting MariaDB"
    as_root mkdir -p /run/mysqld
    as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  fi
  if ! port_open 6379; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
  wait_for PostgreSQL 5432
  wait_for MariaDB 3306
  wait_for Redis 6379

  # What the tests connect as: postgres://postgres@127.0.0.1:5432/test (trust) and mysql://root@127.0.0.1/test.
  if ! psql -h 127.0.0.1 -U postgres -d test -w -tAc 'SELECT 1' >/dev/null 2>&1; then
    pg_hba=$(as_root su postgres -c "psql -tAc 'SHOW hba_file'")
    if ! as_root grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$pg_hba"; then
      say "PostgreSQL: trust for 127.0.0.1"
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$pg_hba"
      as_root su postgres -c "psql -tAc 'SELECT pg_reload_conf()'" >/dev/null
    fi
    if ! as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1; then
      say "PostgreSQL: createdb test"
      as_root su postgres -c "createdb test"
    fi
  fi
  mariadb_client=$(command -v mariadb || command -v mysql)
  if ! "$mariadb_client" -uroot -h127.0.0.1 -P3306 test -e 'SELECT 1' >/dev/null 2>&1; then
    say "MariaDB: CREATE DATABASE test"
    as_root "$mariadb_client" -uroot -e "CREATE DATABASE IF NOT EXISTS test"
  fi
fi

# --- web: wasm-bindgen-cli (wasm-bindgen and wasm-bindgen-test-runner) at the version crates/wasm pins -----
if $web; then
  pinned=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' crates/wasm/Cargo.toml)
  if [[ -z "$pinned" ]]; then
    echo "setup: cannot read the pinned wasm-bindgen version from crates/wasm/Cargo.toml" >&2
    exit 1
  fi
  if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $pinned" ||
    "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $pinned" ]]; then
    say "cargo install wasm-bindgen-cli $pinned"
    cargo install wasm-bindgen-cli --version "$pinned" --locked --force
  fi
fi

# --- web, clients: node_modules as package-lock.json has it ------------------------------------------------
# Every package the lock lists is installed at the locked version (optional ones may be absent: esbuild's
# binaries for other platforms); otherwise `npm ci` replaces node_modules.
npm_matches_lock() {
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path || entry.link) continue;
      let installed;
      try { installed = JSON.parse(fs.readFileSync(path + "/package.json", "utf8")).version; } catch { installed = null; }
      if (installed === entry.version || (installed === null && entry.optional)) continue;
      process.exit(1);
    }' 2>/dev/null
}
if ($web || $clients) && ! npm_matches_lock; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  npm_matches_lock || { echo "setup: node_modules still differs from package-lock.json after npm ci" >&2; exit 1; }
fi

# --- clients: the Python virtualenv ------------------------------------------------------------------------
if $clients; then
  venv=target/clients-venv
  requirements=tests/clients/python/requirements.txt
  stamp="$venv/.requirements.sha256"
  wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    say "python3 -m venv $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
  if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]]; then
    say "pip install -r $requirements into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" >"$stamp"
  fi
fi

# --- what the tests need, now present or the run fails ------------------------------------------------------
missing=()
for tool in cc node npm cargo; do has "$tool" || missing+=("$tool"); done
if $services; then
  for tool in psql redis-server; do has "$tool" || missing+=("$tool"); done
fi
if $web; then
  for tool in /usr/bin/chromium /usr/bin/chromedriver; do [[ -x $tool ]] || missing+=("$tool"); done
  for tool in sqlite3 wasm-bindgen wasm-bindgen-test-runner; do has "$tool" || missing+=("$tool"); done
fi
if $clients; then
  for tool in curl psql; do has "$tool" || missing+=("$tool"); done
  target/clients-venv/bin/python -c 'import pytest, grpc' 2>/dev/null || missing+=("target/clients-venv (pytest, grpcio)")
fi
if ((${#missing[@]})); then
  echo "setup: still missing after setup: ${missing[*]}" >&2
  exit 1
fi

elapsed_ms=$((($(date +%s%N) - started) / 1000000))
if ((${#did[@]})); then
  echo "setup: done in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
else
  echo "setup: everything present ($*), checked in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
fi
