#!/usr/bin/env bash
# Start, stop and inspect the PostgreSQL and Redis that copyfleet's tests and local runs use.
#
#   scripts/services.sh up                       use DATABASE_URL / REDIS_URL if they answer, else start private
#                                                instances under .data/ and record their URLs in .env
#   scripts/services.sh down                     stop the private instances (no error when nothing runs)
#   scripts/services.sh status                   say what is up (exit 1 if either service is not)
#   scripts/services.sh env                      print `export DATABASE_URL=... REDIS_URL=...` lines for eval
#   scripts/services.sh pg-restart [fast|immediate|smart]   restart the private PostgreSQL (same port)
#   scripts/services.sh redis-restart            SHUTDOWN NOSAVE the private Redis and start it again from its AOF
#
# Settings (environment first, then .env at the repo root):
#   DATABASE_URL, REDIS_URL   use these servers when they answer
#   COPYFLEET_PG_PORT         private PostgreSQL port (default 54329; if taken and not set explicitly, the next free
#                             one up to 54348 is used)
#   COPYFLEET_REDIS_PORT      private Redis port (default 63799; same fallback up to 63818)
#   COPYFLEET_DATA_DIR        where private instances keep their data (default .data, relative to the repo root)
#   COPYFLEET_PG_BINDIR       PostgreSQL server binaries (default: newest /usr/lib/postgresql/N/bin with N >= 14,
#                             then `pg_config --bindir`, then PATH)
#   COPYFLEET_PG_OPTS         extra options appended to the private postmaster's command line (e.g. "-c fsync=off")
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ENV_FILE="$REPO_ROOT/.env"

# Remember where DATABASE_URL / REDIS_URL come from before .env fills the gaps.
DB_URL_SRC="environment"; [[ -n "${DATABASE_URL:-}" ]] || DB_URL_SRC=".env"
REDIS_URL_SRC="environment"; [[ -n "${REDIS_URL:-}" ]] || REDIS_URL_SRC=".env"
dotenv_load "$ENV_FILE"

DATA_DIR="${COPYFLEET_DATA_DIR:-.data}"
[[ "$DATA_DIR" == /* ]] || DATA_DIR="$REPO_ROOT/$DATA_DIR"
PG_BASE="$DATA_DIR/pg"
# A checkout the postgres user cannot reach (a fresh clone in root's home, mode 700): unless
# COPYFLEET_DATA_DIR says where, the private PostgreSQL's files go to a directory of its own
# under /var/lib/copyfleet (one per checkout), chosen the same way every time, so `up`,
# `status` and `down` all find it. Redis (run as the caller) stays under .data.
pg_reachable_base() {
  [[ -z "${COPYFLEET_DATA_DIR:-}" && $EUID -eq 0 ]] && id postgres >/dev/null 2>&1 || return 1
  local d="$REPO_ROOT"
  while [[ "$d" != / ]]; do
    d="$(dirname "$d")"
    (cd / && runuser -u postgres -- test -x "$d") 2>/dev/null || return 0
  done
  return 1
}
if pg_reachable_base; then
  PG_BASE="/var/lib/copyfleet/$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-12)/pg"
  PG_RELOCATED=1
fi
PGDATA_DIR="$PG_BASE/data"
PG_LOG="$PG_BASE/postgres.log"
PG_SOCK="$PG_BASE/sock"
REDIS_DIR="$DATA_DIR/redis"

PG_PORT_DEFAULT=54329
REDIS_PORT_DEFAULT=63799
PORT_TRIES=20
PG_START_TIMEOUT=30
REDIS_START_TIMEOUT=15
PG_MIN_MAJOR=14
REDIS_MIN_VERSION=6.2

# Unix socket paths are limited to 107 bytes: fall back to a short directory under /tmp.
if ((${#PG_SOCK} + 20 > 100)); then
  PG_SOCK="/tmp/copyfleet-pg-$(printf '%s' "$PGDATA_DIR" | cksum | cut -d' ' -f1)"
fi

rel() { local p="$1"; [[ "$p" == "$REPO_ROOT/"* ]] && p="${p#"$REPO_ROOT/"}"; printf '%s' "$p"; }

# ---------------------------------------------------------------- generic helpers

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive PID: running and not a zombie (daemons are re-parented to PID 1, which may reap them late).
pid_alive() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r "/proc/$1/stat" ]]; then
    st="$(cat "/proc/$1/stat" 2>/dev/null || true)"
    st="${st##*) }"
    [[ "${st:0:1}" != Z && -n "$st" ]] || return 1
  fi
  return 0
}

# pick_port EXPLICIT DEFAULT NAME VAR -> prints a free port
pick_port() {
  local explicit="$1" def="$2" name="$3" var="$4" p
  if [[ -n "$explicit" ]]; then
    [[ "$explicit" =~ ^[0-9]+$ ]] || die "$var must be a port number, got '$explicit'"
    port_in_use "$explicit" && die "$name: port $explicit ($var) is already in use by another process; choose another $var"
    printf '%s' "$explicit"; return 0
  fi
  for ((p = def; p < def + PORT_TRIES; p++)); do
    if ! port_in_use "$p"; then
      ((p == def)) || warn "$name: default port $def is in use by another process; using $p (set $var to choose)"
      printf '%s' "$p"; return 0
    fi
  done
  die "$name: ports $def-$((def + PORT_TRIES - 1)) are all in use; set $var to a free port"
}

# pid_is PID COMM_PREFIX DIR: the process is alive, is named COMM_PREFIX*, and (when /proc shows it) runs in DIR.
pid_is() {
  local pid="$1" comm="$2" dir="$3" c cwd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  if [[ -r "/proc/$pid/comm" ]]; then
    c="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [[ "$c" == "$comm"* ]] || return 1
    cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
    [[ -z "$cwd" || "$cwd" == "$(cd "$dir" && pwd -P)" ]] || return 1
  fi
  return 0
}

# exec_clean CMD...: exec CMD with only stdin/stdout/stderr open, so that daemons it starts hold neither our
# lock file nor any pipe our caller waits on. Call it in a subshell.
exec_clean() {
  local fd
  if [[ -d "/proc/$BASHPID/fd" ]]; then
    for fd in "/proc/$BASHPID/fd/"*; do
      fd="${fd##*/}"
      [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
  else
    exec 9>&-
  fi
  exec "$@"
}

wait_pid_gone() { # PID SECONDS
  local i
  for ((i = 0; i < $2 * 20; i++)); do pid_alive "$1" || return 0; sleep 0.05; done
  return 1
}

apt_install() { # PKG...
  local log; log="$(mktemp)"
  log "installing $* with apt-get ..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$@" >"$log" 2>&1; then
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq -o DPkg::Lock::Timeout=300 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$@"; } >"$log" 2>&1; then
      tail -n 20 "$log" >&2; rm -f "$log"
      die "apt-get install $* failed (output above)"
    fi
  fi
  rm -f "$log"
}

lock() {
  mkdir -p "$DATA_DIR"
  exec 9>"$DATA_DIR/.services.lock"
  flock -w 300 9 || die "another scripts/services.sh holds $(rel "$DATA_DIR")/.services.lock"
}

# ---------------------------------------------------------------- PostgreSQL

PG_BINDIR="" PSQL="" PG_ISREADY=""

pg_major_of_bindir() { # DIR -> major version from `postgres --version`
  local out; out="$("$1/postgres" --version 2>/dev/null || true)"
  [[ "$out" =~ \)[[:space:]]*([0-9]+) ]] && printf '%s' "${BASH_REMATCH[1]}"
}

pg_find_bindir() {
  local d v best="" bestv=0
  if [[ -n "${COPYFLEET_PG_BINDIR:-}" ]]; then
    [[ -x "$COPYFLEET_PG_BINDIR/postgres" ]] || die "COPYFLEET_PG_BINDIR=$COPYFLEET_PG_BINDIR has no postgres binary"
    PG_BINDIR="$COPYFLEET_PG_BINDIR"; return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
    v="${d%/bin}"; v="${v##*/}"; v="${v%%.*}"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if ((v >= PG_MIN_MAJOR && v > bestv)); then best="$d"; bestv="$v"; fi
  done
  if [[ -z "$best" ]]; then
    for d in "$(pg_config --bindir 2>/dev/null || true)" "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")"; do
      [[ -n "$d" && -x "$d/postgres" && -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
      v="$(pg_major_of_bindir "$d")"
      if [[ -n "$v" ]] && ((v >= PG_MIN_MAJOR)); then best="$d"; break; fi
    done
  fi
  PG_BINDIR="$best"
}

pg_find_clients() {
  [[ -n "$PG_BINDIR" ]] || pg_find_bindir
  if [[ -n "$PG_BINDIR" && -x "$PG_BINDIR/psql" ]]; then PSQL="$PG_BINDIR/psql"; else PSQL="$(command -v psql || true)"; fi
  if [[ -n "$PG_BINDIR" && -x "$PG_BINDIR/pg_isready" ]]; then PG_ISREADY="$PG_BINDIR/pg_isready"; else PG_ISREADY="$(command -v pg_isready || true)"; fi
}

pg_install_hint="install PostgreSQL >= $PG_MIN_MAJOR: sudo apt-get update && sudo apt-get install -y postgresql-15 (Debian 12), or set DATABASE_URL to a reachable server"

# Server binaries for the private instance; as root, install postgresql-15 with apt when missing.
pg_need_server() {
  pg_find_clients
  if [[ -z "$PG_BINDIR" ]]; then
    if is_root && command -v apt-get >/dev/null; then
      apt_install postgresql-15
      pg_find_clients
    fi
    [[ -n "$PG_BINDIR" ]] || die "PostgreSQL server not found (looked in /usr/lib/postgresql/*/bin, pg_config --bindir, PATH): $pg_install_hint"
  fi
  [[ -n "$PSQL" && -n "$PG_ISREADY" ]] || die "psql/pg_isready not found next to $PG_BINDIR or on PATH: $pg_install_hint"
}

pg_need_client() {
  pg_find_clients
  if [[ -z "$PSQL" ]] && is_root && command -v apt-get >/dev/null; then
    apt_install postgresql-15
    PG_BINDIR=""; pg_find_clients
  fi
  [[ -n "$PSQL" ]] || die "psql not found: $pg_install_hint"
}

# Run as the postgres user when root (initdb/postgres refuse root), else as ourselves.
as_pg() {
  if is_root; then (cd / && exec_clean runuser -u postgres -- "$@"); else (exec_clean "$@"); fi
}

pg_url() { printf 'postgres://copyfleet@127.0.0.1:%s/copyfleet' "$1"; }
pg_private_looking() { [[ "$1" =~ ^postgres(ql)?://copyfleet@(127\.0\.0\.1|localhost):[0-9]+/copyfleet$ ]]; }

# pg_running: private instance alive? Sets PG_RUN_PID, PG_RUN_PORT.
PG_RUN_PID="" PG_RUN_PORT=""
pg_running() {
  local f="$PGDATA_DIR/postmaster.pid" lines=()
  PG_RUN_PID="" PG_RUN_PORT=""
  [[ -r "$f" ]] || return 1
  mapfile -t lines <"$f" 2>/dev/null || return 1
  pid_is "${lines[0]:-}" postgres "$PGDATA_DIR" || return 1
  PG_RUN_PID="${lines[0]}"; PG_RUN_PORT="${lines[3]:-}"
  [[ "$PG_RUN_PORT" =~ ^[0-9]+$ ]]
}

pg_priv_psql() { # PORT DB SQL
  PGCONNECT_TIMEOUT=3 "$PSQL" -X -w -Atq -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$1 user=copyfleet dbname=$2 sslmode=disable" -c "$3"
}

pg_url_reachable() { # URL -> prints server_version_num
  [[ -n "$PSQL" ]] || return 1
  PGCONNECT_TIMEOUT=3 timeout 10 "$PSQL" -X -w -Atq -d "$1" -c 'show server_version_num' 2>/dev/null
}

# Directories for the private instance; as root they belong to postgres and every parent must be traversable.
pg_prepare_dirs() {
  local owner me
  mkdir -p "$DATA_DIR" "$PG_BASE" "$PG_SOCK"
  if [[ -n "${PG_RELOCATED:-}" ]]; then
    chmod 755 /var/lib/copyfleet "$(dirname "$PG_BASE")"
    log "postgres: the postgres user cannot reach this checkout (a parent directory is not traversable): its data is in $PG_BASE (set COPYFLEET_DATA_DIR to choose)"
  fi
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (it comes with the postgresql-15 package): $pg_install_hint"
    owner="$(stat -c %U "$PG_BASE")"
    if [[ "$owner" != postgres ]] || [[ -d "$PGDATA_DIR" && "$(stat -c %U "$PGDATA_DIR")" != postgres ]]; then
      chown -R postgres:postgres "$PG_BASE"
    fi
    chown postgres:postgres "$PG_SOCK"
    chmod 755 "$PG_BASE" "$PG_SOCK"
    pg_check_traversal
  else
    me="$(id -un)"
    owner="$(stat -c %U "$PG_BASE")"
    [[ "$owner" == "$me" ]] || die "$(rel "$PG_BASE") belongs to $owner, not $me: remove it or run as $owner"
  fi
  mkdir -p "$PGDATA_DIR" 2>/dev/null || as_pg mkdir -p "$PGDATA_DIR"
  is_root && chown postgres:postgres "$PGDATA_DIR"
  chmod 700 "$PGDATA_DIR"
}

pg_check_traversal() {
  # Walk each chain from / down: a directory can only be judged once its parents are traversable.
  local top d chain=() outside="" seen=" "
  for top in "$PG_BASE" "$PG_SOCK"; do
    chain=()
    d="$(dirname "$top")"
    while :; do chain=("$d" "${chain[@]}"); [[ "$d" == / ]] && break; d="$(dirname "$d")"; done
    for d in "${chain[@]}"; do
      [[ "$seen" == *" $d "* ]] && continue
      seen+="$d "
      (cd / && runuser -u postgres -- test -x "$d") && continue
      if [[ "$d" == "$REPO_ROOT" || "$d" == "$REPO_ROOT/"* || "$d" == "$DATA_DIR" || "$d" == "$DATA_DIR/"* ]]; then
        chmod o+x "$d"
        log "postgres: made $(rel "$d") traversable (chmod o+x) for the postgres user"
      else
        outside="$d"; break 2
      fi
    done
  done
  if [[ -n "$outside" ]]; then
    die "the postgres user cannot traverse $outside (outside the repo), so it cannot reach $(rel "$PGDATA_DIR").
  Fix one of: chmod o+x $outside; or set COPYFLEET_DATA_DIR to a directory it can reach; or set DATABASE_URL."
  fi
}

pg_initdb() {
  local ver want logf="$PG_BASE/initdb.log"
  want="$(pg_major_of_bindir "$PG_BINDIR")"
  if [[ -f "$PGDATA_DIR/PG_VERSION" ]]; then
    ver="$(cat "$PGDATA_DIR/PG_VERSION")"
    [[ -z "$want" || "$ver" == "$want" ]] ||
      die "$(rel "$PGDATA_DIR") was made by PostgreSQL $ver but the server found is $want ($PG_BINDIR).
  Drop the local data (scripts/services.sh down && rm -rf $(rel "$PG_BASE")) or set COPYFLEET_PG_BINDIR."
    return 0
  fi
  # Leftovers of an interrupted initdb.
  find "$PGDATA_DIR" -mindepth 1 -delete 2>/dev/null || true
  log "postgres: initdb $(rel "$PGDATA_DIR") (PostgreSQL $want)"
  if ! as_pg "$PG_BINDIR/initdb" -D "$PGDATA_DIR" -U copyfleet --auth=trust -E UTF8 --locale=C.UTF-8 >"$logf" 2>&1; then
    find "$PGDATA_DIR" -mindepth 1 -delete 2>/dev/null || true
    if ! as_pg "$PG_BINDIR/initdb" -D "$PGDATA_DIR" -U copyfleet --auth=trust -E UTF8 --locale=C >>"$logf" 2>&1; then
      tail -n 20 "$logf" >&2
      die "initdb failed (log: $(rel "$logf"))"
    fi
  fi
}

pg_start() { # PORT
  local port="$1" opts i
  pg_prepare_dirs
  pg_initdb
  # Keep the server log from growing without bound.
  if [[ -f "$PG_LOG" ]] && (($(stat -c %s "$PG_LOG") > 64 * 1024 * 1024)); then mv -f "$PG_LOG" "$PG_LOG.old"; fi
  [[ "$PG_SOCK" != *"'"* ]] || die "socket directory path contains a quote: $PG_SOCK"
  opts="-p $port -k '$PG_SOCK' -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB"
  opts+=" -c fsync=on -c max_wal_size=4GB -c checkpoint_timeout=15min"
  # Dead-connection bounds for every client (copyfleet sets the same on its own sessions,
  # libs/db/src/pool.ts; RELIABILITY.md "Network faults"): a silent peer is dropped in 29 s.
  opts+=" -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=6 -c tcp_keepalives_count=4 -c tcp_user_timeout=29000"
  opts+=" ${COPYFLEET_PG_OPTS:-}"
  if ! as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$PG_START_TIMEOUT" -s -o "$opts" start >/dev/null 2>&1; then
    pg_running || { pg_log_tail; die "PostgreSQL did not start (log: $(rel "$PG_LOG"))"; }
  fi
  for ((i = 0; i < PG_START_TIMEOUT * 10; i++)); do
    "$PG_ISREADY" -q -h 127.0.0.1 -p "$port" -U copyfleet -d postgres -t 1 && return 0
    sleep 0.1
  done
  pg_log_tail
  die "PostgreSQL on port $port did not answer pg_isready within ${PG_START_TIMEOUT}s (log: $(rel "$PG_LOG"))"
}

pg_log_tail() { [[ -f "$PG_LOG" ]] && { echo "--- tail of $(rel "$PG_LOG")" >&2; tail -n 30 "$PG_LOG" >&2; }; return 0; }

pg_stop() { # MODE
  pg_running || return 1
  local pid="$PG_RUN_PID"
  pg_find_clients
  [[ -n "$PG_BINDIR" ]] || PG_BINDIR="$(dirname "$(readlink "/proc/$pid/exe")")"
  as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m "$1" -w -t 120 -s stop >/dev/null 2>&1 || true
  wait_pid_gone "$pid" 10 || die "PostgreSQL (pid $pid) did not stop"
}

pg_ensure_db() { # PORT
  local have
  have="$(pg_priv_psql "$1" postgres "select 1 from pg_database where datname = 'copyfleet'")" ||
    die "cannot query the private PostgreSQL on port $1"
  [[ "$have" == 1 ]] || pg_priv_psql "$1" postgres "create database copyfleet" >/dev/null
}

# pg_up: sets PG_URL, PG_STATE, PG_PRIVATE
pg_up() {
  local cfg="${DATABASE_URL:-}" priv="" port ver
  PG_PRIVATE=1
  pg_need_client
  pg_running && priv="$(pg_url "$PG_RUN_PORT")"
  if [[ -n "$cfg" && "$cfg" != "$priv" ]]; then
    if ver="$(pg_url_reachable "$cfg")" && [[ -n "$ver" ]]; then
      [[ "$ver" =~ ^[0-9]+$ ]] && ((ver < PG_MIN_MAJOR * 10000)) &&
        warn "DATABASE_URL server is version $ver; copyfleet expects PostgreSQL >= $PG_MIN_MAJOR"
      PG_URL="$cfg"; PG_STATE="using configured, from $DB_URL_SRC"; PG_PRIVATE=0
      return 0
    fi
    if ! pg_private_looking "$cfg"; then
      warn "DATABASE_URL from $DB_URL_SRC ($(mask_url "$cfg")) does not answer; using a private PostgreSQL instead"
    fi
    if [[ "$DB_URL_SRC" == environment ]]; then
      warn "DATABASE_URL is set in your environment and overrides .env: unset it or eval \"\$(scripts/services.sh env)\""
    fi
  fi
  if [[ -n "$priv" ]]; then
    if [[ -n "${COPYFLEET_PG_PORT:-}" && "$COPYFLEET_PG_PORT" != "$PG_RUN_PORT" ]]; then
      die "the private PostgreSQL already runs on port $PG_RUN_PORT, not COPYFLEET_PG_PORT=$COPYFLEET_PG_PORT: run scripts/services.sh down first"
    fi
    port="$PG_RUN_PORT"; PG_STATE="already running"
  else
    pg_need_server
    port="$(pick_port "${COPYFLEET_PG_PORT:-}" "$PG_PORT_DEFAULT" postgres COPYFLEET_PG_PORT)"
    pg_start "$port"
    PG_STATE="started"
  fi
  pg_ensure_db "$port"
  PG_URL="$(pg_url "$port")"
}

# ---------------------------------------------------------------- Redis

REDIS_CLI=(redis-cli --no-auth-warning)

redis_install_hint="install it (sudo apt-get install -y redis-server) or set REDIS_URL to a reachable Redis >= $REDIS_MIN_VERSION"

redis_need_cli() {
  command -v redis-cli >/dev/null && return 0
  if is_root && command -v apt-get >/dev/null; then apt_install redis-server; fi
  command -v redis-cli >/dev/null || die "redis-cli not found: $redis_install_hint"
}

redis_need_server() {
  local out v
  if ! command -v redis-server >/dev/null; then
    if is_root && command -v apt-get >/dev/null; then apt_install redis-server; fi
    command -v redis-server >/dev/null || die "redis-server not found: $redis_install_hint"
  fi
  out="$(redis-server --version 2>/dev/null || true)"
  [[ "$out" =~ v=([0-9.]+) ]] || die "cannot read redis-server's version from: $out"
  v="${BASH_REMATCH[1]}"
  version_ge "$v" "$REDIS_MIN_VERSION" || die "redis-server $v is too old (BullMQ needs >= $REDIS_MIN_VERSION): $redis_install_hint"
}

redis_url() { printf 'redis://127.0.0.1:%s' "$1"; }
redis_private_looking() { [[ "$1" =~ ^redis://(127\.0\.0\.1|localhost):[0-9]+/?$ ]]; }

REDIS_RUN_PID="" REDIS_RUN_PORT=""
redis_running() {
  REDIS_RUN_PID="" REDIS_RUN_PORT=""
  [[ -r "$REDIS_DIR/redis.pid" && -r "$REDIS_DIR/port" ]] || return 1
  REDIS_RUN_PID="$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || true)"
  pid_is "$REDIS_RUN_PID" redis-server "$REDIS_DIR" || { REDIS_RUN_PID=""; return 1; }
  REDIS_RUN_PORT="$(cat "$REDIS_DIR/port")"
  [[ "$REDIS_RUN_PORT" =~ ^[0-9]+$ ]]
}

redis_url_ping() { [[ "$(timeout 5 "${REDIS_CLI[@]}" -u "$1" ping 2>/dev/null)" == PONG ]]; }

redis_check_policy() { # ARGS for redis-cli (-u URL | -p PORT), NAME
  local out policy
  out="$(timeout 5 "${REDIS_CLI[@]}" "$1" "$2" config get maxmemory-policy 2>/dev/null || true)"
  policy="$(printf '%s\n' "$out" | sed -n 2p)"
  if [[ -z "$policy" ]]; then
    warn "$3: could not read maxmemory-policy (CONFIG disabled?); BullMQ needs noeviction"
  elif [[ "$policy" != noeviction ]]; then
    warn "$3: maxmemory-policy is $policy; BullMQ needs noeviction or it can silently lose jobs"
  fi
}

redis_start() { # PORT
  local port="$1" i
  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_DIR/redis.pid"
  printf '%s\n' "$port" >"$REDIS_DIR/port"
  (exec_clean redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save '') >/dev/null ||
    { redis_log_tail; die "redis-server did not start (log: $(rel "$REDIS_DIR")/redis.log)"; }
  for ((i = 0; i < REDIS_START_TIMEOUT * 10; i++)); do
    # LOADING (AOF replay) answers with an error, not PONG: keep polling.
    [[ "$("${REDIS_CLI[@]}" -p "$port" ping 2>/dev/null)" == PONG ]] && return 0
    sleep 0.1
  done
  redis_log_tail
  die "Redis on port $port did not answer PING within ${REDIS_START_TIMEOUT}s (log: $(rel "$REDIS_DIR")/redis.log)"
}

redis_log_tail() { [[ -f "$REDIS_DIR/redis.log" ]] && { echo "--- tail of $(rel "$REDIS_DIR")/redis.log" >&2; tail -n 30 "$REDIS_DIR/redis.log" >&2; }; return 0; }

redis_stop() { # nosave?  -> 1 when not running
  redis_running || return 1
  local pid="$REDIS_RUN_PID"
  timeout 10 "${REDIS_CLI[@]}" -p "$REDIS_RUN_PORT" shutdown ${1:+"$1"} >/dev/null 2>&1 || true
  if ! wait_pid_gone "$pid" 15; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 10 || die "Redis (pid $pid) did not stop"
  fi
}

# redis_up: sets REDIS_URL_OUT, REDIS_STATE, REDIS_PRIVATE
redis_up() {
  local cfg="${REDIS_URL:-}" priv="" port
  REDIS_PRIVATE=1
  redis_need_cli
  redis_running && priv="$(redis_url "$REDIS_RUN_PORT")"
  if [[ -n "$cfg" && "${cfg%/}" != "$priv" ]]; then
    if redis_url_ping "$cfg"; then
      redis_check_policy -u "$cfg" "REDIS_URL ($(mask_url "$cfg"))"
      REDIS_URL_OUT="$cfg"; REDIS_STATE="using configured, from $REDIS_URL_SRC"; REDIS_PRIVATE=0
      return 0
    fi
    if ! redis_private_looking "$cfg"; then
      warn "REDIS_URL from $REDIS_URL_SRC ($(mask_url "$cfg")) does not answer PING; using a private Redis instead"
    fi
    if [[ "$REDIS_URL_SRC" == environment ]]; then
      warn "REDIS_URL is set in your environment and overrides .env: unset it or eval \"\$(scripts/services.sh env)\""
    fi
  fi
  if [[ -n "$priv" ]]; then
    if [[ -n "${COPYFLEET_REDIS_PORT:-}" && "$COPYFLEET_REDIS_PORT" != "$REDIS_RUN_PORT" ]]; then
      die "the private Redis already runs on port $REDIS_RUN_PORT, not COPYFLEET_REDIS_PORT=$COPYFLEET_REDIS_PORT: run scripts/services.sh down first"
    fi
    port="$REDIS_RUN_PORT"; REDIS_STATE="already running"
    redis_check_policy -p "$port" "private Redis"
  else
    redis_need_server
    port="$(pick_port "${COPYFLEET_REDIS_PORT:-}" "$REDIS_PORT_DEFAULT" redis COPYFLEET_REDIS_PORT)"
    redis_start "$port"
    REDIS_STATE="started"
  fi
  REDIS_URL_OUT="$(redis_url "$port")"
}

# ---------------------------------------------------------------- .env

# env_record KEY URL: write KEY=URL to .env; keep an unreachable hand-set value as a comment.
env_record() {
  local key="$1" url="$2" old=""
  [[ -f "$ENV_FILE" ]] && old="$(dotenv_get "$ENV_FILE" "$key")"
  if [[ -n "$old" && "$old" != "$url" ]] && ! pg_private_looking "$old" && ! redis_private_looking "$old"; then
    printf '# %s before scripts/services.sh replaced it (it did not answer): %s\n' "$key" "$old" >>"$ENV_FILE"
  fi
  dotenv_set "$ENV_FILE" "$key" "$url"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  lock
  pg_up
  redis_up
  ((PG_PRIVATE)) && env_record DATABASE_URL "$PG_URL"
  ((REDIS_PRIVATE)) && env_record REDIS_URL "$REDIS_URL_OUT"
  log "postgres: $(mask_url "$PG_URL") ($PG_STATE)"
  log "redis:    $(mask_url "$REDIS_URL_OUT") ($REDIS_STATE)"
}

cmd_down() {
  lock
  if pg_running; then
    local port="$PG_RUN_PORT"
    pg_stop fast
    log "postgres: stopped (private, port $port)"
  else
    log "postgres: private instance not running"
  fi
  if redis_running; then
    local rport="$REDIS_RUN_PORT"
    redis_stop ""
    log "redis:    stopped (private, port $rport)"
  else
    log "redis:    private instance not running"
  fi
}

# Resolve without starting anything: configured URL if it answers, else the private instance if it runs.
resolve_pg() {
  local cfg="${DATABASE_URL:-}" priv=""
  RES_PG="" RES_PG_HOW=""
  pg_find_clients
  pg_running && priv="$(pg_url "$PG_RUN_PORT")"
  if [[ -n "$cfg" && "$cfg" == "$priv" ]]; then RES_PG="$priv"; RES_PG_HOW="private, pid $PG_RUN_PID"; return 0; fi
  if [[ -n "$cfg" ]] && [[ -n "$(pg_url_reachable "$cfg" || true)" ]]; then RES_PG="$cfg"; RES_PG_HOW="configured ($DB_URL_SRC)"; return 0; fi
  if [[ -n "$priv" ]]; then RES_PG="$priv"; RES_PG_HOW="private, pid $PG_RUN_PID"; return 0; fi
  return 1
}

resolve_redis() {
  local cfg="${REDIS_URL:-}" priv=""
  RES_REDIS="" RES_REDIS_HOW=""
  redis_running && priv="$(redis_url "$REDIS_RUN_PORT")"
  if [[ -n "$cfg" && "${cfg%/}" == "$priv" ]]; then RES_REDIS="$cfg"; RES_REDIS_HOW="private, pid $REDIS_RUN_PID"; return 0; fi
  if [[ -n "$cfg" ]] && command -v redis-cli >/dev/null && redis_url_ping "$cfg"; then RES_REDIS="$cfg"; RES_REDIS_HOW="configured ($REDIS_URL_SRC)"; return 0; fi
  if [[ -n "$priv" ]]; then RES_REDIS="$priv"; RES_REDIS_HOW="private, pid $REDIS_RUN_PID"; return 0; fi
  return 1
}

cmd_status() {
  local rc=0
  if resolve_pg; then
    log "postgres: up    $(mask_url "$RES_PG") ($RES_PG_HOW)"
  else
    rc=1
    if [[ -n "${DATABASE_URL:-}" ]] && ! pg_private_looking "$DATABASE_URL"; then
      log "postgres: down  (DATABASE_URL $(mask_url "$DATABASE_URL") does not answer; private instance not running)"
    else
      log "postgres: down  (private instance not running)"
    fi
  fi
  if resolve_redis; then
    log "redis:    up    $(mask_url "$RES_REDIS") ($RES_REDIS_HOW)"
  else
    rc=1
    if [[ -n "${REDIS_URL:-}" ]] && ! redis_private_looking "$REDIS_URL"; then
      log "redis:    down  (REDIS_URL $(mask_url "$REDIS_URL") does not answer; private instance not running)"
    else
      log "redis:    down  (private instance not running)"
    fi
  fi
  return "$rc"
}

cmd_env() {
  local rc=0
  if resolve_pg; then printf 'export DATABASE_URL=%q\n' "$RES_PG"; else rc=1; echo "postgres is not up (run scripts/services.sh up)" >&2; fi
  if resolve_redis; then printf 'export REDIS_URL=%q\n' "$RES_REDIS"; else rc=1; echo "redis is not up (run scripts/services.sh up)" >&2; fi
  return "$rc"
}

cmd_pg_restart() {
  local mode="${1:-fast}" port
  [[ "$mode" =~ ^(fast|immediate|smart)$ ]] || die "pg-restart mode must be fast, immediate or smart (got '$mode')"
  lock
  pg_running || die "the private PostgreSQL is not running (scripts/services.sh up starts it)"
  port="$PG_RUN_PORT"
  pg_need_server
  pg_stop "$mode"
  pg_start "$port"
  log "postgres: restarted (stop -m $mode, port $port)"
}

cmd_redis_restart() {
  local port
  lock
  redis_running || die "the private Redis is not running (scripts/services.sh up starts it)"
  port="$REDIS_RUN_PORT"
  redis_need_server
  redis_stop nosave
  redis_start "$port"
  log "redis:    restarted (shutdown nosave, reloaded from AOF, port $port)"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  pg-restart) cmd_pg_restart "${2:-fast}" ;;
  redis-restart) cmd_redis_restart ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
