#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster.
#
#   scripts/with_postgres.sh CMD [ARGS...]
#
# Creates a temporary cluster (trust auth, UTF8, listening only on 127.0.0.1 on
# a free port), creates the database `spro_test`, exports
#   SPRO_TEST_DATABASE_URL / SPRO_DATABASE_URL = postgresql+psycopg://postgres@127.0.0.1:PORT/spro_test
# (plus PGHOST/PGPORT/PGUSER/PGDATABASE for psql), runs CMD, then always stops
# the cluster and removes its folder. The exit code is CMD's.
#
# PostgreSQL refuses to run as root: when run as root the cluster is created and
# run as the `postgres` system user (created if missing). When no server
# binaries are found and we are root with apt-get, `postgresql` is installed.
# Set PG_BINDIR to force a given PostgreSQL bin directory.
set -euo pipefail

log() { printf 'with_postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$#" -gt 0 ] || die "usage: $0 CMD [ARGS...]"

is_root=false
[ "$(id -u)" -eq 0 ] && is_root=true

# --- locate the server binaries ---------------------------------------------
find_bindir() {
    local d
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] && { echo "$PG_BINDIR"; return 0; }
        return 1
    fi
    # Debian's /usr/bin/pg_config may come from libpq-dev and report a dir
    # without server binaries, so check that initdb is really there.
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"; return 0
        fi
    fi
    # Newest /usr/lib/postgresql/<version>/bin.
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        echo "$d"; return 0
    fi
    return 1
}

if ! PGBIN=$(find_bindir); then
    if $is_root && command -v apt-get >/dev/null 2>&1; then
        log "no PostgreSQL server binaries found; installing the 'postgresql' package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        PGBIN=$(find_bindir) || die "PostgreSQL installed but initdb/pg_ctl still not found"
    else
        die "PostgreSQL server binaries (initdb, pg_ctl) not found; install PostgreSQL or set PG_BINDIR"
    fi
fi

# --- run server tools as the right user --------------------------------------
PGTMP=""
if $is_root; then
    if ! id -u postgres >/dev/null 2>&1; then
        log "creating system user 'postgres'"
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres \
            || useradd --system postgres
    fi
    command -v runuser >/dev/null 2>&1 || die "runuser not found (util-linux)"
    # cd into the cluster folder: postgres may not be allowed into the caller's cwd.
    as_pg() { (cd "$PGTMP" && runuser -u postgres -- "$@"); }
else
    as_pg() { (cd "$PGTMP" && "$@"); }
fi

# --- temporary folder --------------------------------------------------------
make_tmp() {
    local d
    d=$(mktemp -d "${1%/}/spro-pg.XXXXXX") || return 1
    if $is_root; then
        chown postgres: "$d" 2>/dev/null || chown postgres "$d"
        # $TMPDIR may sit under a folder postgres cannot enter (e.g. /root).
        if ! runuser -u postgres -- test -w "$d"; then
            rm -rf "$d"; return 1
        fi
    fi
    chmod 700 "$d"
    echo "$d"
}
PGTMP=$(make_tmp "${TMPDIR:-/tmp}") || PGTMP=$(make_tmp /tmp) \
    || die "cannot create a temporary folder usable by the postgres user"
PGDATA_DIR="$PGTMP/data"
PGLOG="$PGTMP/log"
started=false

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if $started; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || log "warning: could not stop PostgreSQL (data in $PGDATA_DIR)"
    fi
    if [ -n "$PGTMP" ] && [ -d "$PGTMP" ]; then
        cd / && rm -rf "$PGTMP"
    fi
    return "$rc"
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- initdb ------------------------------------------------------------------
if ! as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1; then
    rm -rf "$PGDATA_DIR"
    if ! as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 \
            --no-locale >"$PGTMP/initdb.log" 2>&1; then
        cat "$PGTMP/initdb.log" >&2
        die "initdb failed"
    fi
fi

# --- start on a free port (retry: another process may grab the port first) ---
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT=""
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    # fsync & co. off: the cluster is thrown away, durability is useless here.
    if as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
            -o "-h 127.0.0.1 -p $PORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1; then
        started=true
        break
    fi
    # A failed start may still leave a postmaster behind; make sure it is gone.
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
done
if ! $started; then
    tail -n 30 "$PGLOG" >&2 2>/dev/null || true
    die "could not start PostgreSQL"
fi

# --- database & environment --------------------------------------------------
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres spro_test \
    || { tail -n 30 "$PGLOG" >&2 || true; die "createdb spro_test failed"; }

export SPRO_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/spro_test"
export SPRO_DATABASE_URL="$SPRO_TEST_DATABASE_URL"
export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=spro_test

version=$("$PGBIN/postgres" --version 2>/dev/null | awk '{print $3}' || true)
log "PostgreSQL ${version:-?} listening on 127.0.0.1:$PORT (database spro_test, folder $PGTMP)"

# --- run the command; cleanup happens in the EXIT trap -----------------------
set +e
"$@"
rc=$?
set -e
exit "$rc"
