#!/usr/bin/env bash
# Quick before/after check of the store-bound workloads on one fresh server
# (benchmark config: manual clock and provisioning, no quota or throttle) and
# the bare-axum ceiling, one line per run. Not a substitute for scripts/bench:
# it is for comparing two builds in the same minute on this noisy machine.
#
#   bench/quick.sh [BIN_DIR] [SECONDS]     # default target/release, 5 s
#   QUICK="describe:16 create:16" bench/quick.sh
#   QUICK="create1:16" bench/quick.sh    # 16 connections creating in one account
#   SYSCALLS=1 bench/quick.sh   # also count fsyncs and pwrites (perf) for 2 s
#   QUICK="order0:16" bench/quick.sh   # the order path at provisioning_delay = 0
#   QUICK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/quick.sh
#       # the server on PostgreSQL, in a fresh schema dropped at exit (psql)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release}
secs=${2:-5}
runs=${QUICK:-"ceiling:16 describe:16 create:16 place-orders:64"}
dir=target/bench/quick
rm -rf "$dir" && mkdir -p "$dir"
cp bench/config.toml "$dir/config.toml"
export PHYSCONN_ACCESS_KEY_ID=LTAI5tBenchKey000000000
export PHYSCONN_ACCESS_KEY_SECRET=BenchSecret0000000000000000000
export PHYSCONN_ADMIN_TOKEN=bench-admin-token PHYSCONN_LOG=error RUST_BACKTRACE=0
store=()
schema=
if [[ -n "${QUICK_DATABASE_URL:-}" ]]; then
    schema=quick_$RANDOM$RANDOM
    sep='?' && [[ $QUICK_DATABASE_URL == *\?* ]] && sep='&'
    store=(--database-url "${QUICK_DATABASE_URL}${sep}options=-c%20search_path%3D$schema")
fi
"$bin/physconn" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --data-dir "$dir/data" --config "$dir/config.toml" "${store[@]}" >"$dir/server.out" 2>&1 &
server=$!
ceiling= zero=
cleanup() {
    [[ -n "$ceiling" ]] && kill "$ceiling" 2>/dev/null || true
    [[ -n "$zero" ]] && kill "$zero" 2>/dev/null || true
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [[ -n "$schema" ]]; then
        PGOPTIONS='-c client_min_messages=warning' psql -q "$QUICK_DATABASE_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true
    fi
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q '^listening:' "$dir/server.out" && break; sleep 0.1; done
line=$(grep '^listening:' "$dir/server.out")
api=$(sed -E 's/.*api=http:\/\/([^ ]+).*/\1/' <<<"$line")
admin=$(sed -E 's/.*admin=http:\/\/([^ ]+).*/\1/' <<<"$line")
for run in $runs; do
    w=${run%%:*} c=${run##*:}
    case $w in
    ceiling)
        if [[ -z "$ceiling" ]]; then
            "$bin/physconn-bench" ceiling --listen 127.0.0.1:0 >"$dir/ceiling.out" 2>&1 &
            ceiling=$!
            for _ in $(seq 50); do grep -q 'listening' "$dir/ceiling.out" && break; sleep 0.1; done
        fi
        caddr=$(grep -oE '127\.0\.0\.1:[0-9]+' "$dir/ceiling.out" | head -1)
        args=(--workload page --addr "$caddr" --server-pid "$ceiling" --run "${secs}s") ;;
    order0)
        # The order path to Enabled on a second server whose provider steps
        # take no time (`provisioning_delay = 0`, what CI suites run).
        if [[ -z "$zero" ]]; then
            grep -v -e '^clock' -e '^provisioning' "$dir/config.toml" >"$dir/zero.toml"
            echo 'provisioning_delay = 0' >>"$dir/zero.toml"
            "$bin/physconn" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
                --data-dir "$dir/data-zero" --config "$dir/zero.toml" >"$dir/zero.out" 2>&1 &
            zero=$!
            for _ in $(seq 100); do grep -q '^listening:' "$dir/zero.out" && break; sleep 0.1; done
        fi
        zaddr=$(sed -nE 's/.*api=http:\/\/([^ ]+).*/\1/p' "$dir/zero.out" | head -1)
        args=(--workload order --addr "$zaddr" --server-pid "$zero" --run "${secs}s") ;;
    place-orders) args=(--workload place-orders --accounts "$c" --run 12000 --warmup 1000 \
        --addr "$api" --admin "$admin" --server-pid "$server") ;;
    describe | page) args=(--workload "$w" --accounts 1 --run "${secs}s" \
        --addr "$api" --admin "$admin" --server-pid "$server") ;;
    create1) args=(--workload create --accounts 1 --run "${secs}s" \
        --addr "$api" --admin "$admin" --server-pid "$server") ;;
    *) args=(--workload "$w" --accounts "$c" --run "${secs}s" \
        --addr "$api" --admin "$admin" --server-pid "$server") ;;
    esac
    if [[ -n "${SYSCALLS:-}" && $w != ceiling ]]; then
        # Counts the server's fsyncs and WAL writes during the measured phase.
        (for _ in $(seq 600); do grep -q '^measuring' "$dir/$w.err" 2>/dev/null && break; sleep 0.1; done
         perf stat -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64 \
             -p "$server" -- sleep 2 2>&1 | grep -E 'syscalls' | awk '{print "    " $2 " " $1}') &
        stat=$!
        args+=(--announce)
    fi
    out=$("$bin/physconn-bench" run "${args[@]}" -c "$c" --json 2>"$dir/$w.err" || true)
    [[ -n "${stat:-}" ]] && wait "$stat"
    stat=
    python3 - "$w" "$c" "$out" <<'PY'
import json, sys
w, c, out = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    r = json.loads(out)
except Exception:
    print(f"{w:14} c={c:>3}  failed: {out[:300]}"); sys.exit()
KEYS = ["requests_per_sec", "iterations_per_sec", "p50_ms", "p99_ms", "server_cpu_us_per_req", "client_cpu_us_per_req", "server_rss_mb", "error_total"]
def g(*ks):
    for k in ks:
        if k in r: return r[k]
    return None
lat = r.get("latency") or {}
tail = "  ".join(f"{k}={round(lat[k], 2)}" for k in ("p99_ms", "p999_ms") if k in lat)
print(f"{w:14} c={c:>3}  " + "  ".join(f"{k}={round(r[k],1) if isinstance(r[k], float) else r[k]}" for k in r if k in KEYS) + ("  " + tail if tail else "") + ("  errors=" + json.dumps(r.get("errors")) if r.get("error_total") else ""))
PY
done
