#!/usr/bin/env bash
# Profiles physconn under one physconn-bench workload with `perf record`
# (software cpu-clock event, call graphs) during the measured phase only, then
# prints where the server's CPU goes, by category (bench/perf_summary.py).
#
#   bench/profile.sh WORKLOAD [CONNECTIONS] [SECONDS]
#   bench/profile.sh describe 16 5
#   bench/profile.sh place-orders 64
#
# WORKLOAD is a `physconn-bench run --workload` name. physconn runs with the
# benchmark config (manual clock and provisioning, no quota or throttle) on a
# fresh data directory under target/bench/profile. perf.data stays there for
# `perf report -i`. With PHYSCONN_DATABASE_URL set, physconn runs on that
# PostgreSQL database (give it a schema of its own with
# `?options=-c%20search_path%3D<schema>`; it is left in place). ACCOUNTS sets
# how many accounts the connections share (default: one for reads, one per
# connection for writes). Needs target/release/{physconn,physconn-bench} (scripts/bench
# builds them) and perf. PERF_CALLGRAPH=dwarf gives whole Rust call chains
# (the release build keeps no frame pointers), for `perf report --children`.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:?usage: bench/profile.sh WORKLOAD [CONNECTIONS] [SECONDS]}
conns=${2:-16}
secs=${3:-5}
dir=target/bench/profile/$workload
rm -rf "$dir" && mkdir -p "$dir"
cp bench/config.toml "$dir/config.toml"
export PHYSCONN_ACCESS_KEY_ID=LTAI5tBenchKey000000000
export PHYSCONN_ACCESS_KEY_SECRET=BenchSecret0000000000000000000
export PHYSCONN_ADMIN_TOKEN=bench-admin-token PHYSCONN_LOG=error RUST_BACKTRACE=0
target/release/physconn serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --data-dir "$dir/data" --config "$dir/config.toml" >"$dir/server.out" 2>&1 &
server=$!
gen=
cleanup() {
    [[ -n "$gen" ]] && kill "$gen" 2>/dev/null || true
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do grep -q '^listening:' "$dir/server.out" && break; sleep 0.1; done
line=$(grep '^listening:' "$dir/server.out")
api=$(sed -E 's/.*api=http:\/\/([^ ]+).*/\1/' <<<"$line")
admin=$(sed -E 's/.*admin=http:\/\/([^ ]+).*/\1/' <<<"$line")

case $workload in
place-orders) bounds=(--run 12000 --warmup 500) ;;
*) bounds=(--run "$((secs + 3))s" --warmup 2s) ;;
esac
# Reads use one account; writes one account per connection, as the suite does.
case $workload in
describe | vbr-describe | page) accounts=1 ;;
*) accounts=$conns ;;
esac
accounts=${ACCOUNTS:-$accounts}
target/release/physconn-bench run --workload "$workload" -c "$conns" --accounts "$accounts" \
    --addr "$api" --admin "$admin" --server-pid "$server" --announce "${bounds[@]}" \
    >"$dir/report.txt" 2>"$dir/generator.err" &
gen=$!
for _ in $(seq 1200); do grep -q '^measuring' "$dir/generator.err" && break; sleep 0.1; done
perf record -e cpu-clock -F 999 --call-graph "${PERF_CALLGRAPH:-fp}" -p "$server" -o "$dir/perf.data" -- sleep "$secs" \
    >/dev/null 2>&1
wait "$gen"
gen=
cat "$dir/report.txt"
echo "perf: $dir/perf.data (server pid $server, ${secs} s of the measured phase)"
perf report -i "$dir/perf.data" --no-children --sort comm,dso,sym -g none --stdio \
    --percent-limit 0 2>/dev/null | python3 bench/perf_summary.py
